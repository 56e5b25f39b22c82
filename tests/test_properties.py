"""Properties (Hypothesis) of the cell readers and of whole rows of the PVD layout.

Any text in gives either a valid value or a reported rejection out, never an
exception; and what is accepted conforms to the SHACL shapes once the minimal
context the row needs (its département and région from the COG, the
programmes of the curated data) is next to it. ``tests/test_identifiers.py``
covers the code normalisers themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pvd_graph import resources, store
from pvd_graph.build import load_turtle_files, resolve_conflicts
from pvd_graph.build.derive import derive
from pvd_graph.identifiers import departement_iri, region_iri
from pvd_graph.importers import readers
from pvd_graph.importers.anct_pvd import IMPORTER as PVD
from pvd_graph.namespaces import OX, OXC
from pvd_graph.validate import validate

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TODAY = dt.date(2024, 9, 30)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

any_text = st.text(st.characters(codec="utf-8"), max_size=40)


@given(any_text)
def test_date_is_a_past_date_none_or_badvalue(text):
    try:
        got = readers.date(text, TODAY)
    except readers.BadValue as exc:
        assert str(exc)
        return
    assert got is None and readers.cell(text) is None or got <= TODAY


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=TODAY))
def test_every_past_date_reads_back_in_both_layouts(day):
    assert readers.date(day.strftime("%d/%m/%Y"), TODAY) == day
    assert readers.date(f" {day.isoformat()} ", TODAY) == day


@given(st.dates(min_value=TODAY + dt.timedelta(days=1)))
def test_future_dates_are_refused(day):
    with pytest.raises(readers.BadValue, match="future"):
        readers.date(day.strftime("%d/%m/%Y"), TODAY)


@given(any_text)
def test_name_is_clean_text_none_or_badvalue(text):
    try:
        got = readers.name(text)
    except readers.BadValue as exc:
        assert str(exc) in ("contains control characters", "contains HTML markup")
        return
    if got is None:
        return
    assert got == " ".join(got.split()) and got
    assert not _CONTROL.search(got)
    # no tag (a "<" and a letter up to a ">"); a lone "<A" is text, not markup (hypothesis found it)
    assert not re.search(r"<\s*/?\s*[a-zA-Z][^>]*>", got)
    assert readers.name(got) == got  # idempotent


@given(st.one_of(any_text, st.integers(), st.booleans()))
def test_integer_is_non_negative_none_or_badvalue(value):
    try:
        got = readers.integer(value)
    except readers.BadValue as exc:
        assert str(exc) in ("not a whole number", "negative number")
        return
    assert got is None or (isinstance(got, int) and got >= 0)


@given(st.integers(min_value=0, max_value=10**7))
def test_populations_as_written_in_french_files(n):
    spaced = f"{n:,}".replace(",", "\u202f")
    assert readers.integer(str(n)) == readers.integer(spaced) == readers.integer(f"{n}.0") == n


@given(st.binary(max_size=200))
def test_any_bytes_read_as_csv_or_refused(data):
    try:
        table = readers.read_csv(data, ("insee_com",))
    except readers.SourceError as exc:
        assert "\n" not in str(exc)
        return
    assert "insee_com" in table.columns
    assert all(isinstance(line, int) for line, _ in table.rows)


# --- whole rows of the PVD layout -------------------------------------------

def _real_rows() -> list[dict]:
    with (SHARED / "anct_pvd_communes_2021.csv").open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["insee_com"][:2] == r["insee_dep"][:2]]


REAL = _real_rows()
FIELDS = list(REAL[0])


SPOILT = st.one_of(any_text, st.sampled_from(["", "NA", "-1", "31/02/2023", "<b>x</b>", "x\x07", " 01004 ", "2A004",
                                               "1e3", "200067022", "9 871", "NaN"]))
#: a real row of the file with up to three cells replaced by arbitrary or typically spoilt text
row = st.builds(lambda real, spoil: {**real, **spoil}, st.sampled_from(REAL),
                st.dictionaries(st.sampled_from(FIELDS), SPOILT, max_size=3))
rows = st.lists(row, min_size=1, max_size=6)


def import_rows(generated: list[dict]):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\r\n")  # quotes cells holding \r or \n
    w.writeheader()
    w.writerows(generated)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "anct_pvd_communes.csv"
        path.write_text(buf.getvalue(), encoding="utf-8")
        return PVD.run(path)


@settings(max_examples=150, deadline=None)
@given(rows)
def test_any_pvd_rows_are_accounted_for(generated):
    result = import_rows(generated)
    if result.error:  # only a NUL near the top makes the file look binary: refused in one line
        assert "binary content" in result.error and "\n" not in result.error
        assert any("\0" in c for g in generated for c in g.values())
        return
    assert result.rows_read == len(generated)
    assert result.rows_accepted + len(result.rejects) == result.rows_read
    for r in result.rejects + result.warnings:
        assert isinstance(r.line, int) and r.line >= 2
        assert r.field in FIELDS or r.field == "(row)"
        assert r.reason


def _context() -> list[ox.Quad]:
    """Each département of the COG in its région (labels and codes): what a commune's links point at."""
    deps = json.loads((SHARED / "cog" / "departements.json").read_text(encoding="utf-8"))
    regs = json.loads((SHARED / "cog" / "regions.json").read_text(encoding="utf-8"))
    quads = []
    for kind, items in ((OX.Departement, deps), (OX.Region, regs)):
        for item in items:
            iri = ox.NamedNode(departement_iri(item["code"]) if kind == OX.Departement else region_iri(item["code"]))
            quads += [ox.Quad(iri, OXC.type, kind), ox.Quad(iri, OXC.label, ox.Literal(item["nom"], language="fr")),
                      ox.Quad(iri, OX.inseeCode, ox.Literal(item["code"]))]
            if kind == OX.Departement:
                quads.append(ox.Quad(iri, OX.inRegion, ox.NamedNode(region_iri(item["region"]))))
    return quads


CONTEXT = _context()
EPCI_NAMES = {f"https://w3id.org/pvd-graph/id/epci/{e['code']}": e["nom"]
              for e in json.loads((SHARED / "cog" / "epci.json").read_text(encoding="utf-8"))}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_accepted_pvd_rows_conform_to_the_shapes(generated):
    """Generated rows imported next to the curated data and the COG's départements and EPCI names: no violation.

    As in a build, conflicts between sources are resolved first (the COG's EPCI
    name wins over the PVD file's ``lib_epci``); an EPCI the COG does not know
    gets a placeholder name in the COG's graph.
    """
    result = import_rows(generated)
    assume(result.rows_accepted > 0)
    ds = store.new_dataset()
    load_turtle_files(ds, resources.curated_files(), "https://w3id.org/pvd-graph/graph/curated")
    graph = ox.NamedNode("https://w3id.org/pvd-graph/graph/anct-pvd")
    ds.extend([ox.Quad(t.subject, t.predicate, t.object, graph) for t in result.triples])
    ds.extend(CONTEXT)
    cog = ox.NamedNode("https://w3id.org/pvd-graph/graph/cog-epci")
    epcis = {t.subject for t in result.triples if t.object == OX.EPCI}
    ds.extend([ox.Quad(e, OXC.label, ox.Literal(EPCI_NAMES.get(e.value, "EPCI"), language="fr"), cog)
               for e in epcis])
    resolve_conflicts(ds)
    derive(ds)  # as a build does: a curated convention concerning a generated town gives it its participation
    report = validate(ds)
    ours = [r for r in report.results if r.severity == "Violation"
            and any(r.focus == t.subject.value for t in result.triples)]
    assert ours == [], ours[:3]
