"""Bounded load test of ``pvd-graph serve`` on the national graph (issue 9).

8 client threads in this process send a fixed number of requests each over
loopback to the server process; every answer must be a 200 identical to the
one given to a lone client. Latency and throughput are printed (for the
benchmark table), not asserted: timings are not test outcomes.
"""

from __future__ import annotations

import statistics
import threading
import time

import pytest
import requests

from pvd_graph.identifiers import commune_iri
from serve_support import REPO, Server, build_figures

CLIENTS = 8
REQUESTS_PER_CLIENT = 60
PREFIX = "PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
QUERIES = {
    "communes-73": PREFIX + "SELECT ?c ?nom WHERE { ?c pvd:inDepartement <https://w3id.org/pvd-graph/id/departement/73> ; rdfs:label ?nom } ORDER BY ?c",
    "pvd-epci-73": PREFIX + "SELECT ?c ?e WHERE { ?c pvd:participatesIn <https://w3id.org/pvd-graph/id/programme/pvd> ; pvd:inDepartement <https://w3id.org/pvd-graph/id/departement/73> ; pvd:memberOf ?e } ORDER BY ?c ?e",
    "epci-of-albertville": PREFIX + f"SELECT ?e ?nom WHERE {{ <{commune_iri('73011')}> pvd:memberOf ?e . ?e rdfs:label ?nom }}",
    "ask": f"ASK {{ <{commune_iri('73011')}> ?p ?o }}",
}
PAGE = "/id/commune/73011"


@pytest.fixture(scope="module")
def server(national_build, tmp_path_factory):
    srv = Server(national_build, "--workers", "2", log_dir=tmp_path_factory.mktemp("logs"))
    yield srv
    srv.stop()


def test_startup_line_counts_triples_and_quads_apart(server, national_build):
    """Issue 12: the national graph was announced as 679,416 "triples", graph.nt and dataset.nq added up."""
    default, named = build_figures(national_build)
    assert len(named) >= 5 and sum(named.values()) > default  # facts stated by several sources
    assert (f"loaded {default:,} triples in the default graph (the union of every source graph, each triple once) "
            f"and {sum(named.values()):,} quads in {len(named)} named graphs, one per source") in server.output()


def test_readme_lists_every_named_graph(national_build):
    """The README's "The dataset view" names each named graph the endpoint serves (IRIs after the first as …/graph/x)."""
    from pvd_graph.namespaces import GRAPHS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The dataset view", 1)[1].split("\n### ", 1)[0]
    _, named = build_figures(national_build)
    for graph in named:
        assert f"`{graph}`" in section or f"`…/graph/{graph.removeprefix(GRAPHS)}`" in section, graph


def _get(http, server, name):
    if name == "page":
        return http.get(server.base + PAGE, headers={"Accept": "text/turtle"}, timeout=30)
    return http.get(server.base + "/sparql", params={"query": QUERIES[name]},
                    headers={"Accept": "application/sparql-results+json"}, timeout=30)


def test_concurrent_clients_zero_errors(server):
    names = list(QUERIES) + ["page"]
    with requests.Session() as http:
        reference = {name: _get(http, server, name) for name in names}
    assert all(r.status_code == 200 for r in reference.values())
    communes = reference["communes-73"].json()["results"]["bindings"]
    assert {"value": commune_iri("73011"), "type": "uri"} in [b["c"] for b in communes]
    assert len(communes) > 200  # Savoie has about 270 communes
    assert reference["ask"].json()["boolean"] is True

    latencies, failures = [], []
    lock = threading.Lock()

    def client(k: int):
        local = []
        with requests.Session() as http:
            for i in range(REQUESTS_PER_CLIENT):
                name = names[(k + i) % len(names)]
                t0 = time.perf_counter()
                try:
                    r = _get(http, server, name)
                    ok = r.status_code == 200 and r.content == reference[name].content
                    problem = None if ok else f"{name}: HTTP {r.status_code} {r.text[:100]}"
                except requests.RequestException as exc:
                    problem = f"{name}: {exc}"
                local.append(time.perf_counter() - t0)
                if problem:
                    with lock:
                        failures.append(problem)
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    total = CLIENTS * REQUESTS_PER_CLIENT
    assert failures == []
    assert len(latencies) == total
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(0.99 * (total - 1))] * 1000
    print(f"\nserve load: {CLIENTS} clients x {REQUESTS_PER_CLIENT} requests = {total}, 0 errors, "
          f"{total / elapsed:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
