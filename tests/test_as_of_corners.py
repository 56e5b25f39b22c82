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
