"""The geographic code a programme list is read in: the code of the list's own vintage (issue 15).

A list names towns and EPCI as they were when it was drawn up: the 2021 PVD list in the code of
2021, the 2024 lists in the code of 2023 (the nearest older vintage held). Reading it in today's
code would report every change since (an EPCI merged, a name changed) as a disagreement of the
list, and hide its real ones. :func:`code_for` gives the code to read a list in: the older vintage
when the same import holds it (``cog-2021/``, ``cog-2023/``, read as history by
:mod:`pvd_graph.importers.cog_history`), else the current code; which one is always said in the
build's lines (:attr:`ImportResult.notes`), never switched silently.

A list's value that differs from its own code's is a :class:`Difference`: a line of ``conflicts.csv``
naming the list and the code's source (the code's value kept, the list's dropped). A change between
the list's code and today's is not a difference: the dated memberships and former names say it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pvd_graph.importers import cog, history
from pvd_graph.importers.base import ImportResult
from pvd_graph.importers import common
from pvd_graph.importers.common import Earlier, ImportRun, RowError


@dataclass
class Code:
    """One vintage of the geographic code as a list is read in it."""

    year: str
    #: whether this is the current code (the build's COG): then the list's values are compared by the assembly
    current: bool
    #: INSEE code → name of every commune of that vintage (names: only for an older vintage)
    communes: dict[str, str]
    #: SIREN → name of every EPCI of that vintage
    epci: dict[str, str]
    #: INSEE code → the SIRENs of its EPCI in that vintage
    epci_of: dict[str, set[str]] = field(default_factory=dict)

    @property
    def communes_source(self) -> str:
        return "cog-communes" if self.current else f"cog-{self.year}-communes"

    @property
    def epci_source(self) -> str:
        return "cog-epci" if self.current else f"cog-{self.year}-epci"


def older_code(run: ImportRun, year: str) -> Code | None:
    """The older code of *year* as this import read it (as history), or ``None`` when it does not hold it."""
    said = run.earlier.history or {}
    communes = said.get(history.COMMUNES, {}).get(year)
    epci = said.get(history.EPCI, {}).get(year)
    if communes is None or epci is None:
        return None
    code = Code(year, False, communes, epci)
    for insee, siren in said.get(history.MEMBERSHIP, {}).get(year, {}):
        code.epci_of.setdefault(insee, set()).add(siren)
    return code


def code_for(run: ImportRun, year: str, result: ImportResult, list_year: str | None = None) -> Code | None:
    """The code of *year* if this import holds it, else the current code (said in *result*'s notes);
    ``None`` without any geographic code in the import. *list_year*: the list's own year when the code of
    *year* is only the nearest held (the CRTE list of 2022 read in the code of 2023)."""
    code = older_code(run, year)
    if code is not None:
        result.notes.append(f"read in the geographic code of {year}, the code of this list's vintage" if list_year is None
                            else f"read in the geographic code of {year}, the nearest held to this list's {list_year} "
                                 f"(no code of {list_year} in this import): a change of 1 January {year} would be "
                                 "reported as a difference of the list")
        return code
    if run.earlier.current_communes is None:
        return None
    result.notes.append(f"read in the current geographic code ({cog.VINTAGE}), not in the code of {year} of this "
                        f"list's vintage, which this import does not hold (cog-{year}/): a change since {year} "
                        "may be reported as a difference of the list")
    code = Code(cog.VINTAGE, True, {c: "" for c in run.earlier.current_communes}, dict(run.earlier.epci_names or {}))
    for insee, siren in (run.earlier.epci_of_commune or {}).items():
        code.epci_of[insee] = {siren}
    return code


def difference(result: ImportResult, subject: str, prop: str, kept: str, kept_source: str, dropped: str) -> None:
    """A value of the list (*dropped*) that differs from its code's (*kept*, from *kept_source*): a conflicts.csv line."""
    line = (subject, prop, kept, kept_source, dropped, result.source.id)
    if line not in result.conflicts:
        result.conflicts.append(line)


def merged_since(code: str, code_of_list: Code, earlier: Earlier) -> str:
    """The note of a list row whose commune, of the list's code, is no longer current (merged since).

    Its participation is that of the former commune ``commune/{code}`` (never typed ``pvd:Commune``):
    INSEE's tables make it a ``pvd:FormerCommune`` and the build derives its ``pvd:carriedOnBy`` the
    current commune; the row is neither rejected nor re-pointed to that commune.
    """
    now = (earlier.merged_into or {}).get(code)
    return (f"noted, nothing dropped: a commune of the COG {code_of_list.year} that is not current in the COG "
            f"{cog.VINTAGE}" + (f" (a former code of commune {now})" if now else "")
            + ": its participation is that of the former commune, which pvd:carriedOnBy links to its successor")


def undated_former(code: str, code_of_list: Code, run: ImportRun, field: str) -> RowError | None:
    """Why a row of *code*, a commune of the list's (older) code that is not current, cannot be the former
    commune's participation: the graph holds no ``pvd:FormerCommune`` for it (neither INSEE's tables of this import
    end it, nor an older COG vintage makes it, :mod:`pvd_graph.importers.cog_history`: no current commune lists
    the code in its ``anciensCodes``); ``None`` when it does (the ORT's rule, :mod:`pvd_graph.importers.anct_ort`)."""
    if code in history.former_communes(run):
        return None
    err = common.not_current(code, run.earlier)
    return RowError(field, code, err.reason + f"; a commune of the COG {code_of_list.year} of which this import "
                                              "holds no former commune: not imported")
