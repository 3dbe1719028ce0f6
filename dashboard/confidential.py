"""Agents answer surveys on the promise that nobody sees their own answers: no agent-survey figure
is shown for a group of fewer than config.min_respondents() respondents (docs/design.md, security).

A query file says which of its result columns are agent-survey figures and which column counts
the respondents (distinct agents) behind each row:

    -- respondents: {agent_satisfaction: agent_respondents, enps: agent_respondents}

or, for a file that reads agent_surveys but returns only counts of answers (a count is not an
answer):

    -- respondents: counts only

hide() blanks (null) every figure cell whose row rests on fewer respondents, for every page,
table, CSV and snapshot alike (canvas.PageData.run is the one caller); the count itself stays.
`python -m dashboard check` refuses a file that reads agent_surveys and declares neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dashboard import config

AGENT_SURVEYS = "agent_surveys"
COUNTS_ONLY = "counts only"


def words(least: int) -> str:
    """What a reader sees in place of a hidden figure."""
    return f"fewer than {least} respondents: hidden to protect respondents"


def too_few(count, least: int) -> bool:
    """True when a group's figure must not be shown: fewer respondents than `least`, or no count
    at all (a figure whose group size is unknown is not shown either)."""
    return count is None or count < least


class RespondentsError(ValueError):
    """A `respondents` header value that is not a map of column names or `counts only`."""


def parse(value) -> dict[str, str] | None:
    """The header's `respondents` value as {figure column: count column}; {} for `counts only`,
    None when the key is absent. Raises RespondentsError saying what is accepted."""
    if value is None:
        return None
    if value == COUNTS_ONLY:
        return {}
    if not isinstance(value, dict) or not value:
        raise RespondentsError("respondents must map each agent-survey figure column to the column counting its "
                               "respondents, as in {agent_satisfaction: agent_respondents}, or say "
                               f"'{COUNTS_ONLY}' when the query returns only counts of answers")
    out = {}
    for figure, count in value.items():
        if not isinstance(figure, str) or not isinstance(count, str) or not figure or not count:
            raise RespondentsError(f"respondents: '{figure}: {count}' must name two result columns "
                                   "(figure: respondent count)")
        if figure == count:
            raise RespondentsError(f"respondents: '{figure}' cannot count its own respondents")
        out[figure] = count
    return out


def unknown_columns(respondents: dict[str, str], columns: list[str]) -> list[str]:
    """Columns the header's respondents names that the result lacks: a figure left unblanked by a
    typo would break the promise, so the caller refuses to show the result."""
    named = dict.fromkeys([*respondents, *respondents.values()])
    return [name for name in named if name not in columns]


@dataclass(frozen=True)
class Hidden:
    least: int
    groups: int      # rows whose figures were hidden

    def note(self) -> str:
        return f"{words(self.least).capitalize()} ({self.groups} group{'s' if self.groups != 1 else ''})."

    def short(self) -> str:
        """The note without the count, for a result whose rows are not the groups (one per agent)."""
        return f"{words(self.least).capitalize()}."


class UnknownColumns(Exception):
    def __init__(self, path: Path, names: list[str], columns: list[str]):
        self.path, self.names = Path(path), names
        super().__init__(f"the header's respondents names {', '.join(names)}, which the query does not return "
                         f"(its columns: {', '.join(columns)}); its agent-survey figures are not shown")


def hide(respondents: dict[str, str], frame: pl.DataFrame, path: Path,
         least: int | None = None) -> tuple[pl.DataFrame, Hidden | None]:
    """(the frame with each figure blanked where its respondent count is below `least`, what was
    hidden or None). least: config.min_respondents() unless given. Raises UnknownColumns."""
    if not respondents:
        return frame, None
    if missing := unknown_columns(respondents, frame.columns):
        raise UnknownColumns(path, missing, frame.columns)
    least = config.min_respondents() if least is None else least
    by_count: dict[str, list[str]] = {}
    for figure, count in respondents.items():
        by_count.setdefault(count, []).append(figure)
    blanks, hidden_rows = [], pl.lit(False)
    for count, figures in by_count.items():
        small = pl.col(count).is_null() | (pl.col(count) < least)
        shown_before = pl.any_horizontal(pl.col(f).is_not_null() for f in figures)
        hidden_rows = hidden_rows | (small & shown_before)
        blanks += [pl.when(small).then(None).otherwise(pl.col(f)).alias(f) for f in figures]
    groups = frame.select(hidden_rows.sum()).item() if frame.height else 0
    blanked = frame.with_columns(blanks)
    return blanked, (Hidden(least, int(groups)) if groups else None)


def all_hidden(figures: list[str], frame: pl.DataFrame, hidden: Hidden | None) -> bool:
    """True when hiding left none of the chart's figures (its y) to draw: the chart then says so
    instead of drawing an empty frame."""
    shown = [f for f in figures if f in frame.columns]
    return hidden is not None and bool(shown) and all(frame[f].null_count() == frame.height for f in shown)
