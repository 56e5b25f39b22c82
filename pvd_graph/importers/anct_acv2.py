"""ACV 2: the laureates of the 2023–2026 phase of *Action cœur de ville* (« Entrées de ville »).

``acv2_geom.geojson`` of ANCT's multi-programme map (anct-carto/superposeur-anct,
``data/geom/geojsonV2/``): 45 features, ``id_territoire`` (the town's ACV id, ``acv-003``),
``lib_territoire``, ``liste_geo`` (``"Name (INSEE); …"``, some entries cover two towns), a Point
or MultiPoint. ANCT's map shows this layer as « Entrées de ville » (its ``edv`` layer reads the
``id_acv2`` column). The file gives no convention, no date and no EPCI: each town gets a
``pvd:Participation`` in ``programme/acv2`` (``data/programmes.ttl``: ``dcterms:isPartOf``
``programme/acv``), nothing more. The id is required (a feature without one is rejected) but not
emitted: it is the town's ACV id, whose framework convention the ACV files give.

The list (2023-09) is read in the geographic code of its vintage, the COG 2023, when the import
holds it (:mod:`pvd_graph.importers.vintage`; else in the current code, the build saying which):
a town that is not a commune of that code is rejected; a commune of the COG 2023 merged since is
the former commune's participation (``commune/{code}``, never typed ``pvd:Commune``, which the
build links by ``pvd:carriedOnBy`` to its successor), the row noted, as for the 2024 PVD lists.
"""

from __future__ import annotations

import re
from pathlib import Path

from pvd_graph.importers import anct_acv
from pvd_graph.importers.anct_acv import Layout, LayoutImporter
from pvd_graph.namespaces import LICENCE_ETALAB_2

#: the file at the commit of this vintage in ANCT's repository (no data.gouv.fr resource serves it;
#: the official list is the CSV of resource ed3486ee-a70d-4ad7-b448-49f1c340dfe9, column id_acv2)
SOURCE_URL = ("https://raw.githubusercontent.com/anct-carto/superposeur-anct/"
              "949f7e581185229a3bef1962d8f81f5608757f0c/data/geom/geojsonV2/acv2_geom.geojson")
_NAME = re.compile(r'"name"\s*:\s*"acv2_geom"')


def _sniff(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore")
    return _NAME.search(text) is not None and '"liste_geo"' in text


#: the geographic code the list is read in: that of its vintage (2023-09)
CODE_YEAR = "2023"
LAYOUT = Layout(id_field="id_territoire", site_field="lib_territoire", date_field=None,
                towns=anct_acv.listed_towns, programme="acv2", conventions=False, code_year=CODE_YEAR)

IMPORTER = LayoutImporter(
    id="anct-acv2", title="Lauréats d'Action cœur de ville 2 (entrées de ville)", url=SOURCE_URL,
    licence=LICENCE_ETALAB_2, publisher="anct", vintage="2023-09",
    # after every ACV list: it shares with them only the towns' names, which the COG's outrank anyway
    filenames=("*acv2*.geojson", "*acv*.geojson"), sniff=_sniff, kind="geojson", precedence=6, needs=anct_acv.NEEDS,
    parse=anct_acv.parser(LAYOUT, ("id_territoire", "liste_geo")),
)
