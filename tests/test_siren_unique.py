"""The check ``siren-unique-violation``: a SIREN names one legal person, so one resource of the graph.

``epci-ranking`` sums the towns of each EPCI of a SIREN (issue 20's faster text): exact only while a
SIREN is held by one resource, which this check makes a validation result instead of an assumption.
"""

from __future__ import annotations

import pyoxigraph as ox

from pvd_graph import resources
from pvd_graph.identifiers import commune_iri, epci_iri
from pvd_graph.namespaces import PREFIXES

CHECK = "siren-unique-violation"


def _check() -> str:
    return next(p for p in resources.check_files() if p.stem == CHECK).read_text(encoding="utf-8")


def test_a_siren_held_by_two_resources_is_found_and_one_is_not():
    siren = ox.NamedNode(PREFIXES["pvd"] + "siren")
    arlysere, copy, albertville = (ox.NamedNode(epci_iri("200068997")), ox.NamedNode(epci_iri("200068997") + "-bis"),
                                   ox.NamedNode(commune_iri("73011")))
    tiny = ox.Store()
    for s, value in ((arlysere, "200068997"), (copy, "200068997"), (albertville, "217300110")):
        tiny.add(ox.Quad(s, siren, ox.Literal(value)))
    found = {(r["focus"].value, r["value"].value) for r in tiny.query(_check())}
    assert found == {(arlysere.value, "200068997"), (copy.value, "200068997")}
    message = next(iter(tiny.query(_check())))["message"].value
    assert "200068997" in message and "2 ressources" in message


def test_the_enlarged_build_holds_each_siren_once(enlarged_build):
    from pvd_graph import store

    ds = store.open_built(enlarged_build)
    assert ds.select(_check()) == []
    (n,), = ds.select(f"SELECT (COUNT(DISTINCT ?v) AS ?n) WHERE {{ ?s <{PREFIXES['pvd']}siren> ?v }}")
    assert int(n.value) > 30_000  # communes and EPCI: the check read them
