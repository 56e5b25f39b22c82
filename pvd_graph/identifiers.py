"""Official codes: normalisation, checks and the stable IRIs minted from them.

This is the one place where codes are normalised. Importers, SHACL-adjacent
checks and query parameter checks all call these functions, so that the same
town read from two sources lands on the same node.

Each ``normalise_*`` function returns the canonical code or raises
:class:`InvalidCode` whose message is the reason, fit for a rejects report.
"""

from __future__ import annotations

import re

from pvd_graph.namespaces import ids


class InvalidCode(ValueError):
    """A code that cannot be normalised unambiguously; the message says why."""


_INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_DEP = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-8]|98[4-9])$")
_REG = re.compile(r"^(?:\d{2}|97[5-8]|98[4-9])$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _clean(value: object) -> str:
    """Trim a cell and undo spreadsheet number formatting (``1001.0`` → ``1001``)."""
    text = str(value).strip().upper()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


def normalise_insee(value: object) -> str:
    """INSEE commune code: 5 characters, digits or ``2A``/``2B`` + 3 digits (Corsica).

    A 4-digit number is a code that lost its leading zero in a spreadsheet
    (``1001`` → ``01001``) and is padded; anything else that does not match is
    refused.
    """
    text = _clean(value)
    if not text:
        raise InvalidCode("empty INSEE code")
    if text.isdigit() and len(text) == 4:
        text = "0" + text
    if text.startswith("20") and len(text) == 5:
        raise InvalidCode(f"INSEE code {text!r} uses the pre-1976 Corsica prefix 20; expected 2A or 2B")
    if not _INSEE.match(text):
        raise InvalidCode(f"INSEE code {text!r} is not 5 digits or 2A/2B + 3 digits")
    return text


def luhn_valid(digits: str) -> bool:
    """Luhn checksum, as used by SIREN numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def normalise_siren(value: object) -> str:
    """SIREN: 9 digits with a valid Luhn checksum (spaces allowed in input).

    An 8-digit number is padded with a leading zero only when the padded
    number passes the checksum.
    """
    text = re.sub(r"[\s\u00a0]", "", _clean(value))
    if not text:
        raise InvalidCode("empty SIREN")
    if not text.isdigit():
        raise InvalidCode(f"SIREN {text!r} is not made of digits")
    if len(text) == 8 and luhn_valid("0" + text):
        text = "0" + text
    if len(text) != 9:
        raise InvalidCode(f"SIREN {text!r} has {len(text)} digits, expected 9")
    if not luhn_valid(text):
        raise InvalidCode(f"SIREN {text!r} fails the Luhn checksum")
    return text


def normalise_departement(value: object) -> str:
    """Département code: ``01``–``95``, ``2A``/``2B``, ``971``–``978``, ``984``–``989``."""
    text = _clean(value)
    if not text:
        raise InvalidCode("empty département code")
    if text.isdigit() and len(text) == 1:
        text = "0" + text
    if text == "20":
        raise InvalidCode("département code '20' is ambiguous: Corsica is 2A or 2B")
    if not _DEP.match(text):
        raise InvalidCode(f"département code {text!r} is not a French département code")
    return text


def normalise_region(value: object) -> str:
    """Région code: two digits (``84``, ``01`` for Guadeloupe), or the 3-digit code that the COG
    gives overseas collectivities (``975`` Saint-Pierre-et-Miquelon, ``984``–``989``)."""
    text = _clean(value)
    if not text:
        raise InvalidCode("empty région code")
    if text.isdigit() and len(text) == 1:
        text = "0" + text
    if not _REG.match(text):
        raise InvalidCode(f"région code {text!r} is not a French région code")
    return text


def check_slug(value: str) -> str:
    """Lower-case kebab slug used for programmes, organisations and conventions."""
    if not _SLUG.match(value):
        raise InvalidCode(f"{value!r} is not a lower-case slug (a-z, 0-9 and '-')")
    return value


# --- stable IRIs: minted by the namespace module (``ids.commune(code)``), under their historical names

commune_iri = ids.commune
epci_iri = ids.epci
departement_iri = ids.departement
region_iri = ids.region
programme_iri = ids.programme
organisation_iri = ids.organisation
convention_iri = ids.convention


def typology_iri(slug: str) -> str:
    """``id/typology/{slug}``: a commune typology (``pvd:Typology``, a ``skos:ConceptScheme``; issue 16)."""
    return ids.path(f"typology/{slug}")
