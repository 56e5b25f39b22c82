"""Commune typologies as ANCT's multi-programme map ships them: density, centre level, rurality, massif.

Four CSV files of the Observatoire des territoires, as ANCT cleaned them for its multi-programme map
(anct-carto/superposeur-V2, ``data/grilles/``): ``insee_com``, ``lib_com`` and one level column
(``niveau_densite``, ``niveau_centralite``, ``niveau_ruralite``, ``niveau_montagne``). Each typology
is a ``skos:ConceptScheme`` and ``pvd:Typology`` ``id/typology/{slug}`` (slug ``densite``, ``centralite``, ``ruralite``,
``montagne``, also its ``dcterms:identifier``), each level a ``skos:Concept``
``id/typology/{slug}/{level}`` with its ``skos:prefLabel`` and, where the file gives one, its
``skos:notation`` (the scheme's title and description are curated, ``data/typologies.ttl``); the commune's level is one sub-property of ``pvd:typologyLevel`` per typology.

Quirks (../shared/more-data/README.md: "first 4 characters of each level removed"): the levels lost
their number (``Communes non centre``), and the rurality ones keep a leading space (trimmed); the
mountain massifs kept theirs (``06 - Massif Central``: notation ``06``, label ``Massif Central``). A
centralité level `` - undefined`` (what is left of a level without a number) gives no level: the row
is skipped and counted. A commune code that is not current in the COG of the same import is rejected.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pyoxigraph as ox

from pvd_graph.identifiers import commune_iri, typology_iri
from pvd_graph.importers import common, readers
from pvd_graph.importers.base import ImportResult
from pvd_graph.importers.common import Emitter, Importer, ImportRun, RowError
from pvd_graph.importers.readers import BadValue
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, OX_SKOS, ids

CODE = "insee_com"
UNDEFINED = "level undefined in the source (' - undefined')"
_NUMBERED = re.compile(r"(\d+)\s*-\s*(.+)")


@dataclass(frozen=True)
class Typology:
    slug: str  # scheme key and the query's ``typology`` parameter
    column: str
    title: str  # the scheme's name, as ANCT's map titles it (and data/typologies.ttl)
    prop: ox.NamedNode  # the commune's level
    vintage: str  # the edition where a source states it, else ""
    url: str  # the file at the commit of the copy held here, in ANCT's repository of its map


TYPOLOGIES = (
    Typology("densite", "niveau_densite", "Grille communale de densité en 7 niveaux", OX.densityLevel, "",
             "https://github.com/anct-carto/superposeur-V2/blob/3f2b0c0b/data/grilles/densite.csv"),
    Typology("centralite", "niveau_centralite", "Niveau de centres d'équipements et de services des communes 2021",
             OX.centralityLevel, "2021",
             "https://github.com/anct-carto/superposeur-V2/blob/3f2b0c0b/data/grilles/centralite.csv"),
    Typology("ruralite", "niveau_ruralite", "Typologie diversité des ruralités", OX.ruralityType, "",
             "https://github.com/anct-carto/superposeur-V2/blob/3f2b0c0b/data/grilles/ruralite.csv"),
    Typology("montagne", "niveau_montagne", "Massifs de montagne", OX.mountainMassif, "",
             "https://github.com/anct-carto/superposeur-V2/blob/3f2b0c0b/data/grilles/montagne.csv"),
)


#: ``id/typology/{slug}``
scheme_iri = typology_iri


def level_key(label: str) -> str:
    """The IRI key of a level: its label in lower-case ASCII, words joined by ``-``."""
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def level(value: object) -> tuple[str | None, str] | None:
    """(notation or None, label) of a level cell; None for `` - undefined``; :class:`BadValue` if empty."""
    text = readers.name(value)
    if text is None:
        raise BadValue("missing level")
    if text.lstrip("- ").lower() == "undefined":
        return None
    m = _NUMBERED.fullmatch(text)
    return (m.group(1), m.group(2)) if m else (None, text)


def typology_parser(typology: Typology):
    def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
        file = str(result.source.path)
        current = common.current_communes(run, "a commune typology gives the level of each commune by its code")
        # the scheme's title and description are curated (data/typologies.ttl): only its type here
        scheme = emit.entity(scheme_iri(typology.slug), OX_SKOS.ConceptScheme, OX.Typology)
        seen = common.Duplicates()
        concepts: dict[str, ox.NamedNode] = {}
        for line, row in common.csv_rows(data, result, (CODE, typology.column)):
            try:
                code = common.required_cell(CODE, row, run.codes.insee)
                seen.check(code, line, CODE, code)
                found = common.check(typology.column, row.get(typology.column), level)
                if found is not None and code not in current:
                    raise common.not_current(code, run.earlier)
            except RowError as err:
                common.reject(result, file, line, err)
                continue
            if found is None:
                result.skipped[UNDEFINED] = result.skipped.get(UNDEFINED, 0) + 1
                continue
            notation, label = found
            concept = concepts.get(label)
            if concept is None:
                concept = concepts[label] = emit.entity(
                    ids.path(f"typology/{typology.slug}/{notation or level_key(label)}"), OX_SKOS.Concept)
                emit.add(concept, OX_SKOS.prefLabel, ox.Literal(label, language="fr"))
                emit.label(concept, label)
                emit.string(concept, OX_SKOS.notation, notation)
                emit.add(concept, OX_SKOS.inScheme, scheme)
            town = emit.entity(commune_iri(code), OX.Commune)
            emit.add(town, typology.prop, concept)
            result.rows_accepted += 1
        result.figures["levels"] = len(concepts)
    return parse


def _typology_sniff(column: str):
    return lambda path, head: {CODE, column} <= readers.header_columns(head)


def _typology_importer(t: Typology) -> Importer:
    name = f"ot-grille-{t.slug}"
    return Importer(
        id=f"ot-{t.slug}", title=f"{t.title} (Observatoire des territoires, carte multi-programmes de l'ANCT)",
        url=t.url, licence=LICENCE_ETALAB_2, publisher="anct", vintage=t.vintage,
        filenames=(f"{name}*.csv",), sniff=_typology_sniff(t.column), parse=typology_parser(t),
        needs=("cog-communes",),
    )


IMPORTERS = tuple(_typology_importer(t) for t in TYPOLOGIES)
