"""The silent corners of "the graph as of a date" (issue 15, ontology/README.md): small fixture graphs
where a dated answer could be silently wrong, and what the project says instead."""

from __future__ import annotations

from pvd_graph import resources, store
from pvd_graph.build.derive_asof import in_programme_from
from pvd_graph.validate import run_checks

CHECK = "convention-only-town-violation"
ID = "https://w3id.org/pvd-graph/id/"

#: a programme, one signed convention concerning two communes (73011 with its participation, 73054
#: without one), an unsigned convention concerning 73055 (no date: not a violation), and the EPCI
#: the signed convention also concerns (not a commune: not a town of towns-in-programme)
CONVENTION_ONLY = f"""@prefix pvd: <https://w3id.org/pvd-graph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{ID}programme/pvd> a pvd:Programme .
<{ID}commune/73011> a pvd:Commune ; pvd:inseeCode "73011" .
<{ID}commune/73054> a pvd:Commune ; pvd:inseeCode "73054" .
<{ID}commune/73055> a pvd:Commune ; pvd:inseeCode "73055" .
<{ID}epci/200068997> a pvd:EPCI ; pvd:siren "200068997" .
<{ID}participation/commune-73011-pvd> a pvd:Participation ; pvd:participant <{ID}commune/73011> ;
    pvd:inProgramme <{ID}programme/pvd> .
<{ID}convention/pvd-adhesion-test> a pvd:Convention ; pvd:underProgramme <{ID}programme/pvd> ;
    pvd:signedOn "2021-05-12"^^xsd:date ;
    pvd:concerns <{ID}commune/73011>, <{ID}commune/73054>, <{ID}epci/200068997> .
<{ID}convention/pvd-unsigned-test> a pvd:Convention ; pvd:underProgramme <{ID}programme/pvd> ;
    pvd:concerns <{ID}commune/73055> .
"""


def _fixture(text: str):
    ds = store.new_dataset()
    ds.load(text.encode("utf-8"), format=store.ox.RdfFormat.TURTLE)
    return ds


def test_a_town_only_a_signed_convention_concerns_is_a_violation():
    """73054 is in the programme through its signed convention but has no participation: the build
    derives no ``pvd:inProgrammeFrom`` for it (73011's participation gets the signature), so a dated
    query would drop it at every date; the check reports it, and only it, as a violation."""
    ds = _fixture(CONVENTION_ONLY)
    derived, _ = in_programme_from(ds)
    assert {(t.subject.value, t.object.value) for t in derived} == {(f"{ID}participation/commune-73011-pvd", "2021-05-12")}

    check = resources.CHECKS_DIR / f"{CHECK}.rq"
    found = run_checks(ds, [check])
    assert [(r.focus, r.value, r.severity) for r in found] == [
        (f"{ID}commune/73054", f"{ID}convention/pvd-adhesion-test", "Violation")]
    assert "pvd-adhesion-test" in found[0].message and "pvd" in found[0].message
    # and it is one of the checks every validation runs
    assert check in resources.check_files()


#: a graph dated by one source of vintage 2021-01: a query's date after it gets the date note
DATED = f"""@prefix pvd: <https://w3id.org/pvd-graph/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{ID}programme/pvd> a pvd:Programme .
<{ID}source/anct-pvd> a pvd:Source ; dcterms:temporal "2021-01"^^xsd:gYearMonth .
"""


def test_the_date_note_reaches_clients_of_the_endpoint_in_a_header(tmp_path):
    """A catalogue query whose ``date`` lies after the graph's newest vintage: the note that
    ``pvd-graph query`` prints on stderr (``query.date_note`` on the same graph) comes with the CSV and
    the SPARQL JSON answers in ``Pvd-Notes`` (an RFC 9651 list of strings); the JSON body stays the
    standard one; a date inside the span has no note."""
    import datetime as dt

    import requests

    from pvd_graph import query
    from tests.serve_support import Server

    graph = tmp_path / "dated.ttl"
    graph.write_text(DATED, encoding="utf-8")
    note = query.date_note(query.open_graph(graph), dt.date(2030, 1, 1))
    assert note and "2021-01-01" in note and '"' not in note and "\\" not in note
    srv = Server(graph, "--workers", "1", log_dir=tmp_path)
    try:
        url = srv.base + "/catalogue/towns-in-programme"
        for accept in ("text/csv", "application/sparql-results+json"):
            r = requests.get(url, params={"programme": "pvd", "date": "2030-01-01"}, headers={"Accept": accept}, timeout=30)
            assert r.status_code == 200 and r.headers["content-type"].startswith(accept), r.text
            assert r.headers["Pvd-Notes"] == f'"{note}"', accept
            if accept.endswith("json"):
                assert set(r.json()) == {"head", "results"}
        inside = requests.get(url, params={"programme": "pvd", "date": "2021-01-01"}, headers={"Accept": "text/csv"}, timeout=30)
        assert inside.status_code == 200 and "Pvd-Notes" not in inside.headers
        # a browser's origin may read it (CORS exposes the field)
        cors = requests.get(url, params={"programme": "pvd", "date": "2030-01-01"},
                            headers={"Accept": "text/csv", "Origin": "http://example.org"}, timeout=30)
        assert "pvd-notes" in cors.headers["Access-Control-Expose-Headers"].lower()
    finally:
        srv.stop()


def test_notes_field_is_an_rfc_9651_list_of_strings_and_display_strings():
    """Printable ASCII: a String, ``\\`` and ``"`` escaped (RFC 9651 §3.3.3); else a Display String, the
    UTF-8 bytes of ê (c3 aa), ``%`` and ``"`` percent-encoded in lowercase (§3.3.8)."""
    from pvd_graph.server.catalogue import notes_field

    assert notes_field(['a "b" \\ c', 'Forêt "100%"']) == '"a \\"b\\" \\\\ c", %"For%c3%aat %22100%25%22"'
