"""The ACV towns as ANCT's *Action cœur de ville* map ships them: ``coeurdeville.js``.

The file (anct-carto/action_coeur_de_ville, ``data/coeurdeville.js``) is a JavaScript assignment
``var JS_coeurdeville = {…};`` around a GeoJSON FeatureCollection with the properties of
``anct_acv_communes_2024.geojson`` (dates ``DD/MM/YYYY``, ``NA`` for unknown counts). Only a
single ``var NAME =`` before one JSON object is accepted: anything else is not this file, and
nothing in it is run. The features are read as :mod:`~pvd_graph.importers.anct_acv` reads the
GeoJSON, as a vintage of their own (``anct-acv-map-2024-09``): each town adds its
``pvd:listedIn``, each date its ``pvd:signedOn`` (a date that disagrees with another vintage's is
listed in ``conflicts.csv``), and the overseas towns' inset positions are dropped the same way.

Licence: the map's repository has no licence file; its features are, one for one, those of
``anct_acv_communes_2024.geojson``, which ANCT publishes under the Licence Ouverte 2.0, so the
same facts are recorded under that licence.
"""

from __future__ import annotations

import re
from pathlib import Path

from pvd_graph.importers import anct_acv
from pvd_graph.importers.common import Importer
from pvd_graph.importers.readers import SourceError
from pvd_graph.namespaces import LICENCE_ETALAB_2

#: The file at the commit of this vintage in the map's repository (no data.gouv.fr resource serves it).
SOURCE_URL = ("https://raw.githubusercontent.com/anct-carto/action_coeur_de_ville/"
              "9d57139e696ce152f50c61836d29eed115861a75/data/coeurdeville.js")

_ASSIGNMENT = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*var\s+[A-Za-z_$][\w$]*\s*=\s*(?=\{)")
_END = re.compile(rb"\}\s*;?\s*\Z")


def unwrap(data: bytes) -> bytes:
    """The JSON object of ``var NAME = {…};``; anything else is a :class:`SourceError`."""
    m = _ASSIGNMENT.match(data)
    if m is None or not _END.search(data):
        raise SourceError("not a JavaScript assignment 'var NAME = {…};' around a GeoJSON FeatureCollection")
    return data[m.end():data.rindex(b"}") + 1]


def _sniff(path: Path, head: bytes) -> bool:
    return _ASSIGNMENT.match(head) is not None and b'"id_acv"' in head


IMPORTER = Importer(
    id="anct-acv-map-2024-09", title="Communes du programme Action cœur de ville (carte de l'ANCT, septembre 2024)",
    url=SOURCE_URL, licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024-09",
    filenames=("*coeurdeville*.js", "*acv*.js"), sniff=_sniff,
    parse=anct_acv.parser(anct_acv.LAYOUT, anct_acv.REQUIRED, "javascript assignment", unwrap),
    kind="javascript", precedence=3, needs=anct_acv.NEEDS,
)
