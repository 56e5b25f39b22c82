"""The ACV layers of ANCT's multi-programme map (anct-carto/superposeur-anct), two vintages.

Both files are named ``acv_geom.geojson`` upstream (``data/geom/geojson/`` in February 2024,
``data/geom/geojsonV2/`` in September 2024), so each importer claims a file by its content
(:class:`~pvd_graph.importers.anct_acv.LayoutImporter`):

- ``anct-acv-2024-02`` (February 2024, "flat"): one feature per town, ``insee_com``, ``id_acv``,
  ``lib_acv``, ISO ``date_signature``, the name twice (``lib_com.x``, ``lib_com.y``, from a join;
  ``lib_com.x`` is read), ``insee_dep``, ``siren_epci``, real points (COG centroids, overseas
  included). Not imported: ``pop`` (no millésime given; the COG's population is the graph's),
  ``lib_com_carto`` (a label for the map), ``iso_territoire_2`` (the ISO code of the overseas
  territory, implied by the INSEE code).
- ``anct-acv-2024-09`` (September 2024): one feature per programme id (``id_territoire``,
  ``lib_territoire``), ``date_signature`` always empty, the towns in ``liste_geo``
  (``"Name (INSEE); Name (INSEE)"``), a Point for one town, a MultiPoint for several (dropped:
  which point is whose is not said).

Each is a vintage of its own source and read as :mod:`~pvd_graph.importers.anct_acv` reads the
2024 GeoJSON (same convention IRIs ``convention/{id}``, participations, titles). Precedence:
the older list loses when vintages disagree (``conflicts.csv``).
"""

from __future__ import annotations

import re
from pathlib import Path

from pvd_graph.importers import anct_acv
from pvd_graph.importers.anct_acv import Layout, LayoutImporter
from pvd_graph.namespaces import LICENCE_ETALAB_2

#: the two files at the commits of these vintages in ANCT's repository (byte-identical to the copies
#: of ../shared/more-data; neither has a data.gouv.fr resource)
URL_2024_02 = ("https://raw.githubusercontent.com/anct-carto/superposeur-anct/"
               "928b2873eead738fd6f55a30b8093025e7874e28/data/geom/geojson/acv_geom.geojson")
URL_2024_09 = ("https://raw.githubusercontent.com/anct-carto/superposeur-anct/"
               "949f7e581185229a3bef1962d8f81f5608757f0c/data/geom/geojsonV2/acv_geom.geojson")
_NAME = re.compile(r'"name"\s*:\s*"acv_geom"')


def _sniff_flat(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore")
    return '"FeatureCollection"' in text and '"id_acv"' in text and '"lib_com.x"' in text


def _sniff_v2(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore")
    return _NAME.search(text) is not None and '"id_territoire"' in text and '"liste_geo"' in text


FLAT = LayoutImporter(
    id="anct-acv-2024-02", title="Communes du programme Action cœur de ville (février 2024)",
    url=URL_2024_02, licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024-02",
    filenames=("*acv*.geojson",), sniff=_sniff_flat, kind="geojson", precedence=5, needs=anct_acv.NEEDS,
    parse=anct_acv.parser(Layout(id_field="id_acv", site_field="lib_acv", date_field="date_signature",
                                 towns=anct_acv.insee_town("lib_com.x")), anct_acv.REQUIRED),
)

V2 = LayoutImporter(
    id="anct-acv-2024-09", title="Programme Action cœur de ville (carte multi-programmes, septembre 2024)",
    url=URL_2024_09, licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024-09",
    filenames=("*acv*.geojson",), sniff=_sniff_v2, kind="geojson", precedence=4, needs=anct_acv.NEEDS,
    parse=anct_acv.parser(Layout(id_field="id_territoire", site_field="lib_territoire", date_field="date_signature",
                                 towns=anct_acv.listed_towns), ("id_territoire", "liste_geo")),
)

IMPORTERS = (V2, FLAT)
