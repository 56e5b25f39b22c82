"""The priority neighbourhoods of urban policy (QPV 2024) in each commune.

``qpv-centroides.geojson`` of ANCT's multi-programme map (anct-carto/superposeur-V2,
``data/admin/centroide-4326_qpv.geojson``): one Point feature per commune that has QPV (824),
``insee_com``, ``lib_com``, ``code_qp`` and ``lib_qp``: the codes (``QN00103M``) and the names of the
commune's QPV, each joined by ``", "`` in the same order (1,684 (QPV, commune) pairs, 1,493 QPV).
A QPV over several communes appears in each.

Each QPV is ``id/qpv/{code_qp}``, a ``pvd:PriorityNeighbourhood``: ``dcterms:identifier`` its code,
``rdfs:label`` its name, ``pvd:locatedIn`` every commune that lists it. The feature's point is that
of the commune's QPV together: it becomes the point of the QPV's part in that commune
(``#point-{source}-{INSEE}``, :meth:`Emitter.point`) only when the commune has one QPV; otherwise it is
given to none (counted). A commune code that is not current in the COG of the same import, a malformed
code or names that do not pair with the codes reject the feature.
"""

from __future__ import annotations

import re
from pathlib import Path

from pvd_graph.identifiers import commune_iri
from pvd_graph.importers import common, readers
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import Emitter, Importer, ImportRun, RowError
from pvd_graph.importers.readers import BadValue
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, OX_DCTERMS, ids

#: the file at the commit of the copy held here in ANCT's repository of its multi-programme map
SOURCE_URL = "https://github.com/anct-carto/superposeur-V2/blob/3f2b0c0b/data/admin/centroide-4326_qpv.geojson"
CODE, QP, NAME = "insee_com", "code_qp", "lib_qp"
SHARED_POINT = "points of several QPV of a commune (one point for all of them: not given to any)"
_QP_CODE = re.compile(r"Q[A-Z](?:[0-9]{3}|02[AB])[0-9]{2}[A-Z0-9]")


def qpv_iri(code: str) -> str:
    """``id/qpv/{code_qp}``."""
    return ids.path(f"qpv/{code}")


def qpv_code(value: object) -> str:
    """A QPV code of 2024 (``QN00103M``: ``Q``, a letter, the département on three characters (``001``, ``02A``,
    ``971``), two digits, a character)."""
    text = (readers.cell(value) or "").upper()
    if not _QP_CODE.fullmatch(text):
        raise BadValue("not a QPV code (expected Q, a letter, a three-character département, two digits and a character, e.g. "
                       "QN00103M)")
    return text


def split_names(codes: list[str], value: object) -> list[str]:
    """The names of *codes*, from ``lib_qp`` joined by ``", "`` in the same order (a name holding a comma
    would make the counts differ: :class:`BadValue`, nothing is guessed)."""
    names = [readers.name(n) for n in str(readers.cell(value) or "").split(", ")]
    if len(names) != len(codes) or not all(names):
        raise BadValue(f"{len(names)} names for {len(codes)} QPV codes: which name is whose is not known")
    return names


def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    current = common.current_communes(run, "the QPV file locates each QPV by its commune code")
    seen = common.Duplicates()
    names: dict[str, str] = {}
    shared = 0
    for i, feature in enumerate(common.geojson_features(data, result, (CODE, QP, NAME))):
        result.rows_read += 1
        props = feature.get("properties") if isinstance(feature, dict) else None
        try:
            if not isinstance(props, dict):
                raise RowError("properties", props, "not a GeoJSON feature with properties")
            code = common.required_cell(CODE, props, run.codes.insee)
            seen.check(code, i, CODE, code)
            if code not in current:
                raise common.not_current(code, run.earlier)
            qps = [common.check(QP, c, qpv_code) for c in str(readers.cell(props.get(QP)) or "").split(", ")]
            labels = common.check(NAME, props.get(NAME), lambda v: split_names(qps, v))
        except RowError as err:
            common.reject(result, file, i, err)
            continue
        town = emit.entity(commune_iri(code), OX.Commune)
        for qp, label in zip(qps, labels):
            s = emit.entity(qpv_iri(qp), OX.PriorityNeighbourhood)
            if qp not in names:
                names[qp] = label
                emit.label(s, label)
                emit.string(s, OX_DCTERMS.identifier, qp)
            elif names[qp] != label:
                result.warnings.append(Reject(file, i, NAME, label, f"QPV {qp} is named {names[qp]!r} by an earlier "
                                                                  "feature; this name dropped, rest of the row kept"))
            emit.add(s, OX.locatedIn, town)
        point = _point(feature, result, (file, i))
        if point is not None and len(qps) == 1:
            emit.point(emit.node(qpv_iri(qps[0])), *point, part=code)
        elif point is not None:
            shared += 1
        result.rows_accepted += 1
    result.figures[SHARED_POINT] = shared


def _point(feature: dict, result: ImportResult, where: tuple[str, int]) -> tuple[float, float] | None:
    geometry = feature.get("geometry")
    coords = geometry.get("coordinates") if isinstance(geometry, dict) and geometry.get("type") == "Point" else None
    if not isinstance(coords, list) or len(coords) < 2:
        return None
    lon = common.optional("geometry.coordinates[0]", coords[0], lambda v: readers.coordinate(v, -180, 180), result, where)
    lat = common.optional("geometry.coordinates[1]", coords[1], lambda v: readers.coordinate(v, -90, 90), result, where)
    return None if lon is None or lat is None else (lon, lat)


def _sniff(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore")
    return '"FeatureCollection"' in text and f'"{QP}"' in text and f'"{NAME}"' in text


IMPORTER = Importer(
    id="anct-qpv", title="Quartiers prioritaires de la politique de la ville 2024 (centroïdes par commune)",
    url=SOURCE_URL, licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024",
    filenames=("qpv-centroides*.geojson", "centroide-*_qpv.geojson"), sniff=_sniff, kind="geojson", parse=parse,
    needs=("cog-communes",),
)
