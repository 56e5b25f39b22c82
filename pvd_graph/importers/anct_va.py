"""Villages d'avenir: the communes of ANCT's programme for rural villages (list of 2024-09).

``va_geom.geojson`` of ANCT's multi-programme map (anct-carto/superposeur-anct,
``data/geom/geojsonV2/``): 2,498 features, one per village, ``id_territoire`` (``va-01-01``),
``lib_territoire`` (the village's name), ``liste_geo`` (``"Name (INSEE)"``, one town each) and the
town's Point. Each accepted feature gives the town's participation in ``programme/va``
(:meth:`Emitter.participation`) and the point the list gives (a COG 2023 commune position). The file
names no convention, date or EPCI: nothing more is imported. It is read by the layout reader of the
ACV lists (:mod:`pvd_graph.importers.anct_acv`) in the COG 2023 when the import holds it (as ACV 2):
a commune merged since whose end INSEE's tables date is the former commune's participation, carried
on by its successor (noted); a town listed twice, a code that is not a commune of that code (or,
without the COG 2023, of the current one), a feature without id or town are rejected (feature index,
first = 0). The id is required but not emitted (it names the village, which the commune's code identifies).
"""

from __future__ import annotations

import re
from pathlib import Path

from pvd_graph.importers import anct_acv
from pvd_graph.importers.anct_acv import Layout, LayoutImporter
from pvd_graph.namespaces import LICENCE_ETALAB_2

#: the file at the commit of this vintage in ANCT's repository (the official list of communes is the
#: data.gouv.fr resource fbef04bb-3df9-4d6d-a23f-0a0034f6a3f8, column id_va)
SOURCE_URL = ("https://raw.githubusercontent.com/anct-carto/superposeur-anct/"
              "949f7e581185229a3bef1962d8f81f5608757f0c/data/geom/geojsonV2/va_geom.geojson")
PROGRAMME = "va"
_NAME = re.compile(r'"name"\s*:\s*"va_geom"')


def _sniff(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore")
    return _NAME.search(text) is not None and '"liste_geo"' in text


#: the geographic code the list is read in: that of its vintage (its names and points are the COG 2023's)
CODE_YEAR = "2023"
LAYOUT = Layout(id_field="id_territoire", site_field="lib_territoire", date_field=None,
                towns=anct_acv.listed_towns, programme=PROGRAMME, conventions=False, code_year=CODE_YEAR)

IMPORTER = LayoutImporter(
    id="anct-va", title="Communes du programme Villages d'avenir", url=SOURCE_URL,
    licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024-09",
    # its names are those of the COG 2023, which the current COG's outrank
    filenames=("*_va_geom*.geojson", "va_geom*.geojson"), sniff=_sniff, kind="geojson", precedence=6,
    needs=anct_acv.NEEDS, parse=anct_acv.parser(LAYOUT, ("id_territoire", "liste_geo")),
)
