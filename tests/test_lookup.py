"""Communes and EPCI by name (``pvd_graph.lookup``), for ``query --param insee=NAME`` and ``viz --focus NAME``.

Expected answers come from the geographic code's own file (``communes.json``)
or from the graph itself, never written here.
"""

from __future__ import annotations

import json
from collections import defaultdict

import networkx as nx
import pytest

from pvd_graph import lookup, query
from pvd_graph.cli import main
from pvd_graph.errors import UserError


@pytest.fixture(scope="module")
def cog_communes(shared_data):
    return [c for c in json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
            if c["type"] == "commune-actuelle"]


@pytest.fixture(scope="module")
def national(national_build):
    return query.open_graph(national_build)


def test_fold_ignores_accents_case_hyphens_and_apostrophes():
    assert lookup.fold("Saint-Étienne") == lookup.fold("saint etienne") == "saint etienne"
    assert lookup.fold("L’Isle-Adam") == lookup.fold("l'isle adam") == lookup.fold("L ISLE  ADAM")
    assert lookup.fold("Ajaccio") != lookup.fold("Ajacio")


def test_names_are_told_from_codes():
    assert lookup.looks_like_name("Albertville") and lookup.looks_like_name("Saint-Denis")
    assert not any(lookup.looks_like_name(v) for v in ("73011", "7301", "2A004", "7301X", "200068997",
                                                       "https://w3id.org/pvd-graph/id/commune/73011", " "))


def test_every_commune_name_of_the_cog_looks_like_a_name(cog_communes):
    """What tells a name from a code (``looks_like_name``) holds for every name of the geographic code."""
    assert all(lookup.looks_like_name(c["nom"]) for c in cog_communes)


def test_ambiguous_name_lists_every_commune_with_its_departement(national, cog_communes):
    by_name = defaultdict(list)
    for c in cog_communes:
        by_name[c["nom"]].append(c)
    name = "Saint-Denis"
    expected = sorted((c["code"], c["departement"]) for c in by_name[name])
    assert len(expected) > 1
    assert [(m.code, m.departement) for m in lookup.by_name(national, name)] == expected
    with pytest.raises(UserError) as err:
        lookup.resolve_name(national, name)
    message = str(err.value)
    assert message.startswith(f"{len(expected)} communes named 'Saint-Denis': ") and "\n" not in message
    assert all(f"{code} (Saint-Denis, {dep})" in message for code, dep in expected)


def test_an_exact_name_wins_over_loose_matches(national, cog_communes):
    folded = defaultdict(set)
    for c in cog_communes:
        folded[lookup.fold(c["nom"])].add(c["nom"])
    # two different names that differ only by accents, case or hyphens
    names = sorted(next(v for k, v in sorted(folded.items()) if len(v) > 1))
    for name in names:
        expected = sorted(c["code"] for c in cog_communes if c["nom"] == name)
        assert [m.code for m in lookup.by_name(national, name)] == expected
    loose = sorted(c["code"] for c in cog_communes if c["nom"] in names)
    assert [m.code for m in lookup.by_name(national, lookup.fold(names[0]).upper())] == loose


def test_loose_match_of_a_unique_name(national, cog_communes):
    [albertville] = [c for c in cog_communes if c["nom"] == "Albertville"]
    match = lookup.resolve_name(national, "ALBERTVILLE")
    assert (match.code, match.departement) == (albertville["code"], albertville["departement"])


def test_query_param_by_name_on_the_national_graph(national, cog_communes, capsys, national_build):
    [ugine] = [c["code"] for c in cog_communes if c["nom"] == "Ugine"]
    base = ["query", "partners-of-town", "-f", "csv", "--graph", str(national_build)]
    assert main(base + ["-p", "insee=Ugine"]) == 0
    by_name = capsys.readouterr()
    assert main(base + ["-p", f"insee={ugine}"]) == 0
    assert by_name.out == capsys.readouterr().out and by_name.out.count("\n") > 1
    assert by_name.err.startswith(f"pvd-graph query: insee Ugine read as {ugine} (Ugine, ")


def _nodes(path):
    return set(nx.read_graphml(path).nodes)


@pytest.mark.parametrize("name, code", [("Albertville", "73011"), ("albertville", "73011"),
                                        ("CA Arlysère", "200068997")])
def test_viz_focus_by_name(curated_build, tmp_path, capsys, name, code):
    by_code, by_name = tmp_path / "code.graphml", tmp_path / "name.graphml"
    assert main(["viz", "--graph", str(curated_build), "--focus", code, "--out", str(by_code)]) == 0
    assert main(["viz", "--graph", str(curated_build), "--focus", name, "--out", str(by_name)]) == 0
    assert f"--focus {name} read as {code} (" in capsys.readouterr().err
    assert _nodes(by_name) == _nodes(by_code) and len(_nodes(by_code)) > 1


def test_viz_focus_ambiguous_or_unknown_name(national_build, tmp_path, capsys, cog_communes):
    out = tmp_path / "x.graphml"
    assert main(["viz", "--graph", str(national_build), "--focus", "Saint-Denis", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    codes = [c["code"] for c in cog_communes if c["nom"] == "Saint-Denis"]
    assert err.count("\n") == 1 and f"--focus: {len(codes)} communes or EPCI named 'Saint-Denis'" in err
    assert all(code in err for code in codes) and not out.exists()
    assert main(["viz", "--graph", str(national_build), "--focus", "Nowhere-sur-Rien", "--out", str(out)]) == 2
    assert "no commune or EPCI named 'Nowhere-sur-Rien' in this graph" in capsys.readouterr().err
