"""ANCT's common list layout: one CSV of communes per scheme, as data.gouv.fr publishes them.

ANCT publishes the current list of communes of each scheme of its multi-programme map as a CSV on
data.gouv.fr (``../shared/more-data/README.md``, "Official download addresses"): header
``insee_com``, ``lib_com``, the scheme's id column ``id_{scheme}``, optionally ``lib_{scheme}`` (the
name the scheme gives the site) and ``date_signature``. One importer per scheme of :data:`SCHEMES`
(source ``anct-list-{scheme}``, so that two schemes' files stay in graphs of their own), recognised by
its header (the id column) or by the cache name ``fetch`` gives it (``anct_liste_{scheme}.csv``).

Each accepted row gives the commune's participation in ``programme/{scheme}``
(:meth:`Emitter.participation`). The programme is typed by the source with ``dcterms:identifier`` the
id column; its name is curated (``data/programmes.ttl``) or derived from the source
(:mod:`pvd_graph.build.derive_programmes`). Not imported: ``lib_com`` and ``lib_{scheme}`` (names: the
COG's), the site id (a value of the row only), and ``date_signature``: it dates a convention whose
signatories the list does not give, and a convention of the graph names them (its values are counted
in ``rejects.csv``).

Not claimed: the lists that other importers read (PVD, ACV, CRTE, France services) and that of the
Territoires d'industrie, whose ``id_ti`` does not say the generation (:mod:`pvd_graph.importers.anct_ti`).
Rejected rows (CSV line, header = 1): a missing or invalid code, a code that is not a current commune
of the COG of the import, a missing id, a commune listed twice under one id. An unreadable date is
dropped with a warning, the rest of the row kept.
"""

from __future__ import annotations

from pathlib import Path

from pvd_graph.identifiers import check_slug, commune_iri
from pvd_graph.importers import anct_engagement, common, readers
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import Emitter, Importer, ImportRun, RowError
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, datagouv_resource_url

#: scheme (the id column without ``id_``) → data.gouv.fr resource id, as ANCT's map downloads them
SCHEMES = {
    "cite": "37b9f49b-79aa-4093-afa3-3cbd68f72867",
    "cde": "00e9a547-50c9-46a2-bbfb-b403e8e1eca6",
    "site": "5f2e1413-552a-43fc-9669-74169cbca87d",
    "fabt": "309049b4-f9f7-4038-a2b4-875ef32eca7c",
    "manup": "a1cf9852-7be2-49bc-8981-a989cc70b6d0",
    "ami": "20530b87-b74e-4372-961f-a51dd818ac36",
    "amm": "370d0ac5-fd43-4c62-b1a5-eea6f1fd90d3",
    "fabp": "87d38102-b2c1-4e81-9a9d-4d922effc8f8",
    "pao": "6de2ad29-6671-4cd7-beca-637a5b183fd0",
    "frla": "3fbacdea-2afd-44e9-96ce-1099f128d795",
    "comrur": "c6e360a4-d979-4297-b0d4-c3aee158c531",
    "ptzc": "8c627383-0d11-403e-8621-2b82bf223f27",
    "va": "fbef04bb-3df9-4d6d-a23f-0a0034f6a3f8",
    "acv2": "ed3486ee-a70d-4ad7-b448-49f1c340dfe9",
}
NO_CONVENTION = ("column not imported: the date of a convention whose signatories the list does not give (a "
                 "convention of the graph names them)")


def cache_name(scheme: str) -> str:
    """The name ``fetch`` gives the scheme's file in its cache."""
    return f"anct_liste_{scheme}.csv"


def parser(scheme: str):
    column = f"id_{scheme}"

    def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
        file = str(result.source.path)
        current = run.earlier.current_communes
        slug, _ = anct_engagement.scheme_programme(emit, column, scheme)
        seen = common.Duplicates()
        dated = 0
        for line, row in common.csv_rows(data, result, ("insee_com", column)):
            try:
                code = common.required_cell("insee_com", row, run.codes.insee)
                if current is not None and code not in current:
                    err = common.not_current(code, run.earlier)
                    err.field = "insee_com"
                    raise err
                site = common.required_cell(column, row, lambda v: check_slug(str(v).strip().lower()))
                seen.check((code, site), line, column, site)
            except RowError as err:
                common.reject(result, file, line, err)
                continue
            dated += readers.cell(row.get("date_signature")) is not None
            emit.participation(emit.entity(commune_iri(code), OX.Commune), "commune", code, slug)
            result.rows_accepted += 1
        if dated:
            result.warnings.append(Reject(file, "", "date_signature", f"{dated} values", NO_CONVENTION))

    return parse


def _sniffer(scheme: str):
    def sniff(path: Path, head: bytes) -> bool:
        columns = readers.header_columns(head)
        return {"insee_com", f"id_{scheme}"} <= columns and not columns & _OTHER_IDS

    return sniff


#: the id columns of the lists other importers read, or that this layout must not claim
_OTHER_IDS = {"id_pvd", "id_acv", "id_crte", "id_fs", "id_ti", "id_engcit"}

IMPORTERS = tuple(
    Importer(id=f"anct-list-{scheme}", title=f"Liste ANCT des communes du dispositif id_{scheme} (data.gouv.fr, "
                                             f"ressource {resource})",
             url=datagouv_resource_url(resource), licence=LICENCE_ETALAB_2, publisher="anct", vintage="",
             filenames=(cache_name(scheme),), sniff=_sniffer(scheme), parse=parser(scheme),
             needs=("cog-communes",), precedence=7)
    for scheme, resource in SCHEMES.items()
)
