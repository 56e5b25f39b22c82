"""ANCT's citizen-engagement schemes (*territoires d'engagement*): who takes part, at which level.

``liste_tec_te.csv`` of ANCT's engagement map (anct-carto/engagement-citoyen, ``data/``, 2025-12):
one row per accompanied territory, ``id_engcit`` (``patde-1``), ``codgeo`` the territory's code at
the level ``echelon`` gives (``commune``: INSEE code; ``epci``: SIREN; ``departement``; ``region``),
``libgeo``, ``dispositif`` the scheme (``PATDE``, ``PPTDE``, ``CCO``, ``AI``), ``periode``,
``ingredients``, ``url`` (mostly empty, not imported).

Each scheme is a programme of its own, ``programme/{dispositif lower-cased}`` (``programme/patde``),
typed ``pvd:Programme`` with ``dcterms:identifier`` the file's value; its name is curated
(``data/programmes.ttl``, from the map's own labels) or, for a scheme the curated data does not
describe, derived from the source (:mod:`pvd_graph.build.derive_programmes`). Each row gives the
participation of its territory in its scheme (:meth:`Emitter.participation`, kind the row's level).

Rejected rows (line numbers of the CSV, header = 1): an ``echelon`` that is none of the four levels
(the row ``#Invalid Ref: Nouvelle-Calédonie``, a spreadsheet's broken reference), a code that is not
a code of its level, a commune that is not current, or an ``epci`` row whose SIREN is no EPCI of the current COG (the list files
12 PETR and syndicats mixtes there; the participations of the graph name communes, EPCI, départements and
régions only).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from pvd_graph.identifiers import check_slug, commune_iri, departement_iri, epci_iri, region_iri
from pvd_graph.importers import common, readers
from pvd_graph.importers.base import ImportResult
from pvd_graph.importers.common import Emitter, Importer, ImportRun, RowError
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, OX_DCTERMS, ids

SOURCE_URL = ("https://raw.githubusercontent.com/anct-carto/engagement-citoyen/"
              "74d4c2570f938eda1aca554a0d1ffc1cc9a2aeb6/data/liste_tec_te.csv")
REQUIRED = ("id_engcit", "codgeo", "echelon", "dispositif")
NOT_EPCI = ("SIREN of no EPCI of the current COG (the list files PETR and syndicats mixtes under 'epci': "
            "a body that no participation names yet)")
#: level → (code normaliser of the run, IRI minter)
LEVELS = {"commune": ("insee", commune_iri), "epci": ("siren", epci_iri),
          "departement": ("departement", departement_iri), "region": ("region", region_iri)}


def scheme_programme(emit: Emitter, value: str, slug: str | None = None) -> tuple[str, ox.NamedNode]:
    """(slug, node) of the programme of a scheme the source names *value* (slug: *value* lower-cased unless
    given): typed ``pvd:Programme``, ``dcterms:identifier`` *value* as the source writes it (its name:
    curated or derived)."""
    slug = check_slug(slug or value.strip().lower())
    node = emit.entity(ids.programme(slug), OX.Programme)
    emit.string(node, OX_DCTERMS.identifier, value.strip())
    return slug, node


def _participant(row: dict, run: ImportRun) -> tuple[str, str, str]:
    """(level, code, IRI) of the row's territory; a RowError when it cannot be one of the COG's."""
    level = readers.cell(row.get("echelon"))
    if level not in LEVELS:
        raise RowError("echelon", level, f"not a level of the list ({', '.join(LEVELS)})")
    normaliser, mint = LEVELS[level]
    code = common.required_cell("codgeo", row, getattr(run.codes, normaliser))
    if level == "commune" and run.earlier.current_communes is not None and code not in run.earlier.current_communes:
        err = common.not_current(code, run.earlier)
        err.field = "codgeo"
        raise err
    if level == "epci" and run.earlier.epci_names is not None and code not in run.earlier.epci_names:
        raise RowError("codgeo", code, NOT_EPCI)
    return level, code, mint(code)


def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    seen = common.Duplicates()
    for line, row in common.csv_rows(data, result, REQUIRED):
        try:
            rid = common.required_cell("id_engcit", row, readers.name)
            seen.check(rid, line, "id_engcit", rid)
            scheme = common.required_cell("dispositif", row, readers.name)
            level, code, iri = _participant(row, run)
            slug, _ = scheme_programme(emit, scheme)
        except RowError as err:
            common.reject(result, file, line, err)
            continue
        emit.participation(emit.node(iri), level, code, slug)
        result.rows_accepted += 1


def _sniff(path: Path, head: bytes) -> bool:
    return {"id_engcit", "codgeo", "echelon", "dispositif"} <= readers.header_columns(head)


IMPORTER = Importer(
    id="anct-engagement", title="Territoires d'engagement de l'ANCT : territoires accompagnés par dispositif",
    url=SOURCE_URL, licence=LICENCE_ETALAB_2, publisher="anct", vintage="2025-12",
    filenames=("liste_tec_te*.csv",), sniff=_sniff, parse=parse, needs=("cog-communes", "cog-epci"),
)
