"""The official geographic code (COG) as published by Etalab in ``@etalab/decoupage-administratif``.

Four JSON arrays: ``communes.json``, ``epci.json``, ``departements.json`` and
``regions.json``. Row numbers in rejects are array indexes (first object = 0).

Choices made here:

* Only ``commune-actuelle`` entries become ``pvd:Commune``. Arrondissements
  municipaux (Paris, Lyon, Marseille), communes déléguées and communes
  associées are parts of a current commune, not communes: they are counted in
  ``ImportResult.skipped`` under their type (visible in the summary), not
  rejected.
* The package lists each collectivité d'outre-mer (Saint-Pierre-et-Miquelon
  975, … Clipperton 989) both in ``regions.json`` and in ``departements.json``
  under the same three-digit code, with ``zone: com``. Legally they are
  neither régions nor départements, but the COG's territorial hierarchy puts
  them there and their communes point at them, so they keep that place (a
  ``pvd:Departement`` in the ``pvd:Region`` of the same code: divisions of the
  code, territories, not authorities) and the shapes accept these codes.
* Territories typed as what they are (ontology/README.md, "Territories and
  their authorities", with the legal basis of each): ``pvd:Departement`` and
  ``pvd:Region`` are the code's divisions; a division is also typed as the
  authority that governs it only when it has one of its own:
  :data:`DEPARTEMENT_AUTHORITY`, :data:`REGION_AUTHORITY` (by code, else by the
  COG's ``zone``: a metropolitan or DROM division has its council), the Ville de
  Paris on commune 75056 and the Métropole de Lyon (``MET69``) a
  ``pvd:SpecialStatusCollectivity``, not an EPCI. An overseas (``com``) code the
  tables do not know is typed as a division only and reported.
* Populations are dated figures (:func:`pvd_graph.importers.figures.population`, as of the
  first day of the vintage): a commune's ``population`` is its *population municipale* (the
  package's ``build/population.js`` reads INSEE's ``PMUN`` column), an EPCI's
  ``populationMunicipale`` and ``populationTotale`` are what they say. The ``pvd:population``
  shortcut (municipale) is emitted only by the current vintage (:data:`VINTAGE`), so that an
  older code read in the same build adds its figures without fighting over the shortcut.
* Each EPCI member gives ``commune pvd:memberOf epci`` (the current shortcut) and its dated
  ``pvd:Membership`` (:mod:`pvd_graph.importers.history`; :mod:`pvd_graph.importers.cog_history` reads the
  older vintages).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pvd_graph.identifiers import (
    commune_iri,
    departement_iri,
    epci_iri,
    region_iri,
)
from pvd_graph.importers import figures, history, readers
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import (
    EPCI_TYPES,
    Duplicates,
    Emitter,
    Importer,
    ImportRun,
    RowError,
    epci_classes,
    optional,
    optional_cell,
    reject,
    required_cell,
)
from pvd_graph.importers.readers import SourceError
from pvd_graph.namespaces import LICENCE_MIT, OX, npm_tarball_url, unpkg_url

#: The source record of the COG: Etalab's npm package, its version and the vintage it holds. The
#: importers' ``url`` is each file on unpkg (the provenance's ``dcat:downloadURL``); ``pvd-graph fetch``
#: downloads the registry's tarball instead, whose checksum the registry publishes (:data:`INTEGRITY`).
PACKAGE = "@etalab/decoupage-administratif"
PACKAGE_VERSION = "6.0.0"
VINTAGE = "2026"  # the millésime of package 6.0.0 (its README: 6.0.0 = 2026, 5.3.0 = 2025)
TARBALL_URL = npm_tarball_url(PACKAGE, PACKAGE_VERSION)
#: sha512 published by the npm registry for the 6.0.0 tarball (``npm view … dist.integrity``)
INTEGRITY = ("sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWc"
             "f+7bcWpA5pmCaQ==")

#: Départements whose node is not a département council (code → the authority class of the node, or
#: None when no authority of the code's own governs it); any other ``metro``/``drom`` code is a
#: pvd:DepartementCollectivity. Legal basis in ontology/README.md, "Territories and their authorities".
DEPARTEMENT_AUTHORITY = {
    "75": None,  # the Ville de Paris (commune 75056) since 2019-01-01: loi n° 2017-257
    "2A": None, "2B": None,  # the Collectivité de Corse (région 94) since 2018-01-01: loi n° 2015-991 art. 30
    "67": None, "68": None,  # the Collectivité européenne d'Alsace since 2021-01-01: loi n° 2019-816
    "972": OX.SingleCollectivity, "973": OX.SingleCollectivity,  # since 2015-12-31: loi n° 2011-884
    "976": OX.SingleCollectivity,  # the Département de Mayotte since 2011: loi n° 2010-1487
    # overseas collectivities (zone com): art. 74 of the Constitution, New Caledonia title XIII
    "975": OX.OverseasCollectivity, "977": OX.OverseasCollectivity, "978": OX.OverseasCollectivity,
    "986": OX.OverseasCollectivity, "987": OX.OverseasCollectivity, "988": OX.OverseasCollectivity,
    "984": None, "989": None,  # TAAF and Clipperton: administered by the State (loi n° 55-1052), no elected body
}
#: Régions likewise; any other ``metro``/``drom`` code is a pvd:RegionCollectivity; the ``com`` codes
#: are divisions only (the authority is typed on the département node of the same code).
REGION_AUTHORITY = {
    "94": OX.SpecialStatusCollectivity,  # the Collectivité de Corse: CGCT art. L4421-1
    "02": None, "03": None,  # the collectivités uniques of Martinique and Guyane (départements 972, 973)
    "06": None,  # the Département de Mayotte (département 976) exercises the region's powers
    **dict.fromkeys(("975", "977", "978", "984", "986", "987", "988", "989")),  # zone com: see DEPARTEMENT_AUTHORITY
}
#: Communes whose node is also another kind of authority: the Ville de Paris (CGCT art. L2512-1)
COMMUNE_AUTHORITY = {"75056": OX.SpecialStatusCollectivity}
#: the COG ``zone`` of divisions with a council of their own unless listed above
COUNCIL_ZONES = {"metro", "drom"}

#: entries of communes.json that are not current communes, skipped by design
NOT_CURRENT = {
    "arrondissement-municipal": "arrondissement municipal (part of a commune)",
    "commune-deleguee": "commune déléguée (part of a commune nouvelle)",
    "commune-associee": "commune associée (part of a commune)",
}


def _array(data: bytes, result: ImportResult) -> list:
    items, encoding = readers.load_json(data)
    if not isinstance(items, list):
        raise SourceError("expected a JSON array of objects")
    result.reading = f"json, {encoding}"
    return items


def _rows(data: bytes, result: ImportResult):
    """(index, object) for each array element that is an object; others rejected."""
    file = str(result.source.path)
    for i, obj in enumerate(_array(data, result)):
        result.rows_read += 1
        if isinstance(obj, dict):
            yield i, obj
        else:
            reject(result, file, i, RowError("(element)", obj, "not a JSON object"))


def parse_communes(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    skipped: Counter[str] = Counter()
    seen = Duplicates()
    if run.earlier.commune_by_siren is None:  # lets the CRTE importer resolve communes
        run.earlier.commune_by_siren = {}
    by_siren = run.earlier.commune_by_siren
    if run.earlier.current_communes is None:  # lets the ORT importer refuse codes that are not current
        run.earlier.current_communes = set()
    current = run.earlier.current_communes
    if run.earlier.merged_into is None:  # lets the programme lists say which commune a former code is now part of
        run.earlier.merged_into = {}
    merged_into = run.earlier.merged_into
    for i, obj in _rows(data, result):
        kind = obj.get("type")
        if kind in NOT_CURRENT:
            skipped[NOT_CURRENT[kind]] += 1
            if kind == "arrondissement-municipal" and obj.get("code") and obj.get("commune"):
                # lets a list that gives an arrondissement's code (an office in Paris 12e) name its commune
                run.earlier.arrondissement_of = run.earlier.arrondissement_of or {}
                run.earlier.arrondissement_of[str(obj["code"])] = str(obj["commune"])
            continue
        try:
            if kind != "commune-actuelle":
                raise RowError("type", kind, "unknown commune type")
            code = required_cell("code", obj, run.codes.insee)
            seen.check(code, i, "code", code)
            label = required_cell("nom", obj, readers.name)
            dep = required_cell("departement", obj, run.codes.departement)
        except RowError as err:
            reject(result, file, i, err)
            continue
        for old in obj.get("anciensCodes") or ():
            merged_into.setdefault(old, code)
        siren = optional_cell("siren", obj, run.codes.siren, result, (file, i))
        population = optional_cell("population", obj, readers.integer, result, (file, i))
        if siren:
            by_siren[siren] = code
        current.add(code)
        history.current_name(run, VINTAGE, code, label)
        s = emit.entity(commune_iri(code), OX.Commune, *_also(COMMUNE_AUTHORITY.get(code)))
        emit.label(s, label)
        emit.string(s, OX.inseeCode, code)
        emit.string(s, OX.siren, siren)
        _population(emit, result, s, municipale=population)
        emit.add(s, OX.inDepartement, emit.node(departement_iri(dep)))
        result.rows_accepted += 1
    result.skipped.update(skipped)


def epci_row(obj: dict, run: ImportRun) -> tuple[str, str, str, list]:
    """(SIREN, name, legal form, members) of an object of ``epci.json``; a :class:`RowError` if one is bad."""
    siren = required_cell("code", obj, run.codes.siren)
    label = required_cell("nom", obj, readers.name)
    kind = required_cell("type", obj, str)
    if kind not in EPCI_TYPES:
        raise RowError("type", kind, f"unknown EPCI type (expected {', '.join(EPCI_TYPES)})")
    members = obj.get("membres") or []
    if not isinstance(members, list):
        raise RowError("membres", members, "not a list")
    return siren, label, kind, members


def parse_epci(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    seen = Duplicates()
    members_seen: dict[str, tuple[str, int]] = {}
    if run.earlier.epci_of_commune is None:  # lets the ORT importer resolve a commune's EPCI
        run.earlier.epci_of_commune, run.earlier.epci_names, run.earlier.epci_types = {}, {}, {}
    epci_of, epci_names, epci_types = run.earlier.epci_of_commune, run.earlier.epci_names, run.earlier.epci_types
    for i, obj in _rows(data, result):
        try:
            siren, label, kind, members = epci_row(obj, run)
            seen.check(siren, i, "code", siren)
        except RowError as err:
            reject(result, file, i, err)
            continue
        population = optional_cell("populationMunicipale", obj, readers.integer, result, (file, i))
        totale = optional_cell("populationTotale", obj, readers.integer, result, (file, i))
        s = emit.entity(epci_iri(siren), *epci_classes(kind))
        epci_names[siren] = label
        epci_types[siren] = kind
        emit.label(s, label)
        emit.string(s, OX.siren, siren)
        emit.string(s, OX.epciType, kind)
        _population(emit, result, s, municipale=population, totale=totale)
        for member in members:
            code = optional("membres.code", member.get("code") if isinstance(member, dict) else member,
                            run.codes.insee, result, (file, i))
            if code is None:
                continue
            if code in members_seen and members_seen[code][0] != siren:
                result.warnings.append(Reject(
                    file, i, "membres.code", code,
                    f"commune also member of EPCI {members_seen[code][0]} (index {members_seen[code][1]}); "
                    "both memberships kept"))
            members_seen.setdefault(code, (siren, i))
            epci_of.setdefault(code, siren)
            emit.add(emit.entity(commune_iri(code)), OX.memberOf, s)
            history.membership(emit, run, VINTAGE, code, siren)
        result.rows_accepted += 1


def _population(emit: Emitter, result: ImportResult, s, *, municipale: int | None, totale: int | None = None) -> None:
    """The code's dated figure of *s*, and the current ``pvd:population`` shortcut from the current vintage."""
    figures.population(emit, result, s, municipale=municipale, totale=totale)
    if result.source.vintage == VINTAGE:
        emit.integer(s, OX.population, municipale)


def _also(cls) -> tuple:
    return () if cls is None else (cls,)


def _authority(code: str, zone: object, table: dict, council, result: ImportResult, where: tuple[str, int]):
    """The authority class of a division's node, besides its division class (None: none of its own)."""
    if code in table:
        return table[code]
    if zone in COUNCIL_ZONES:
        return council
    result.warnings.append(Reject(where[0], where[1], "zone", str(zone),
                                  f"division {code} is not in the table of authorities and not metropolitan "
                                  "or a DROM: typed as a division of the code only, no authority"))
    return None


def _parse_divisions(data: bytes, result: ImportResult, emit: Emitter, *, normalise, iri, cls, authorities,
                     parent: tuple[str, object, object, object] | None = None) -> None:
    """Départements or régions: code, name and, for départements, the région they are in.

    *parent* is ``(field, normaliser, iri function, property)`` of the enclosing division;
    *authorities* is ``(table, council class)`` for :func:`_authority`.
    """
    file = str(result.source.path)
    seen = Duplicates()
    for i, obj in _rows(data, result):
        try:
            code = required_cell("code", obj, normalise)
            seen.check(code, i, "code", code)
            label = required_cell("nom", obj, readers.name)
            up = required_cell(parent[0], obj, parent[1]) if parent else None
        except RowError as err:
            reject(result, file, i, err)
            continue
        authority = _authority(code, obj.get("zone"), *authorities, result, (file, i))
        s = emit.entity(iri(code), cls, *_also(authority))
        emit.label(s, label)
        emit.string(s, OX.inseeCode, code)
        if parent:
            emit.add(s, parent[3], emit.node(parent[2](up)))
        result.rows_accepted += 1


def parse_departements(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    _parse_divisions(data, result, emit, normalise=run.codes.departement, iri=departement_iri,
                     cls=OX.Departement, authorities=(DEPARTEMENT_AUTHORITY, OX.DepartementCollectivity),
                     parent=("region", run.codes.region, region_iri, OX.inRegion))


def parse_regions(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    _parse_divisions(data, result, emit, normalise=run.codes.region, iri=region_iri, cls=OX.Region,
                     authorities=(REGION_AUTHORITY, OX.RegionCollectivity))


# --- recognising the files --------------------------------------------------

def _first_object(head: bytes) -> dict | None:
    """The first object of a JSON array, parsed from the file's head (None if cut or absent)."""
    import json

    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff").lstrip()
    if not text.startswith("["):
        return None
    try:
        obj, _ = json.JSONDecoder().raw_decode(text[1:].lstrip())
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _sniff_communes(path: Path, head: bytes) -> bool:
    obj = _first_object(head)
    return bool(obj) and {"code", "nom", "type", "departement"} <= obj.keys() and \
        str(obj.get("type", "")).startswith(("commune", "arrondissement"))


def _sniff_epci(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff").lstrip()
    return text.startswith("[") and '"membres"' in text and '"code"' in text and '"type"' in text


def _sniff_departements(path: Path, head: bytes) -> bool:
    obj = _first_object(head)
    return bool(obj) and {"code", "nom", "region", "chefLieu"} <= obj.keys() and "type" not in obj


def _sniff_regions(path: Path, head: bytes) -> bool:
    obj = _first_object(head)
    return bool(obj) and {"code", "nom", "chefLieu"} <= obj.keys() and not {"region", "type"} & obj.keys()


def _cog(id_: str, title: str, file: str, sniff, parse) -> Importer:
    return Importer(
        id=f"cog-{id_}", title=title, url=unpkg_url(PACKAGE, PACKAGE_VERSION, f"data/{file}"),
        licence=LICENCE_MIT, publisher="etalab", vintage=VINTAGE, filenames=(file,), sniff=sniff, parse=parse, kind="json",
        precedence=1,
    )


COMMUNES = _cog("communes", "Communes du code officiel géographique", "communes.json",
                _sniff_communes, parse_communes)
EPCI = _cog("epci", "EPCI à fiscalité propre et leurs communes membres", "epci.json",
            _sniff_epci, parse_epci)
DEPARTEMENTS = _cog("departements", "Départements du code officiel géographique", "departements.json",
                    _sniff_departements, parse_departements)
REGIONS = _cog("regions", "Régions du code officiel géographique", "regions.json",
               _sniff_regions, parse_regions)
IMPORTERS = (COMMUNES, EPCI, DEPARTEMENTS, REGIONS)
