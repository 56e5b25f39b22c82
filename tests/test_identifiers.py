"""The code normalisers: examples from the real files, and properties over any text (Hypothesis)."""

from __future__ import annotations

import csv
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pvd_graph.identifiers import (
    InvalidCode,
    luhn_valid,
    normalise_departement,
    normalise_insee,
    normalise_region,
    normalise_siren,
)

INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
NORMALISERS = [normalise_insee, normalise_siren, normalise_departement, normalise_region]


def test_every_official_code_is_already_normal(shared_data):
    """Every code of the official geographic code comes out unchanged."""
    communes = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    for c in communes:
        assert normalise_insee(c["code"]) == c["code"]
        assert normalise_departement(c["departement"]) == c["departement"]
        if "siren" in c:
            assert normalise_siren(c["siren"]) == c["siren"]
    for e in json.loads((shared_data / "cog" / "epci.json").read_text(encoding="utf-8")):
        assert normalise_siren(e["code"]) == e["code"]
    for r in json.loads((shared_data / "cog" / "regions.json").read_text(encoding="utf-8")):
        assert normalise_region(r["code"]) == r["code"]


def test_codes_that_lost_their_leading_zero(shared_data):
    """A spreadsheet turns 01004 into 1004 (or 1004.0): padding restores the official code."""
    with open(shared_data / "anct_pvd_communes_2021.csv", encoding="utf-8") as fh:
        codes = [row["insee_com"] for row in csv.DictReader(fh) if row["insee_com"].startswith("0")]
    assert codes, "the PVD list has towns in départements 01–09"
    for code in codes:
        assert normalise_insee(str(int(code))) == code
        assert normalise_insee(f"{int(code)}.0") == code
        assert normalise_departement(str(int(code[:2]))) == code[:2]


@pytest.mark.parametrize("value, expected", [("2a004", "2A004"), (" 2B033 ", "2B033"), ("97411", "97411")])
def test_corsica_and_overseas(value, expected):
    assert normalise_insee(value) == expected


@pytest.mark.parametrize("value", ["", "NA", "731", "730111", "20004", "2C004", "73-11", "<b>73011</b>"])
def test_bad_insee_codes_are_refused_with_a_reason(value):
    with pytest.raises(InvalidCode, match=r"INSEE|empty"):
        normalise_insee(value)


def test_siren_checksum():
    assert normalise_siren("200 068 997") == "200068997"  # CA Arlysère, spaces as often printed
    with pytest.raises(InvalidCode, match="Luhn"):
        normalise_siren("200068998")
    with pytest.raises(InvalidCode, match="9"):
        normalise_siren("2000689971")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=12))
def test_any_text_is_a_code_or_a_reasoned_refusal(text):
    """For any input, each normaliser returns a canonical code or raises InvalidCode — never anything else."""
    for normalise in NORMALISERS:
        try:
            out = normalise(text)
        except InvalidCode as exc:
            assert str(exc)
            continue
        assert normalise(out) == out  # idempotent: canonical codes stay as they are
        if normalise is normalise_insee:
            assert INSEE.match(out)
        if normalise is normalise_siren:
            assert re.fullmatch(r"\d{9}", out) and luhn_valid(out)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A[0-9]{9}\Z"))
def test_siren_accepts_exactly_the_luhn_valid_numbers(digits):
    try:
        assert normalise_siren(digits) == digits and luhn_valid(digits)
    except InvalidCode:
        assert not luhn_valid(digits)
