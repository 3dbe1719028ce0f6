"""No data is not zero, for charts and tables: what a query file's header says its figures rest on,
judged against what the store holds (dashboard.coverage), never by counting non-null values.

Three header fields, one rule each (README, Query files):

- `needs: [table, table.column]`: without them the whole chart is "No data" and says why.
- `column_needs: {column: needs}`: without them the result column is blanked (null, shown empty,
  never 0) and the chart says which columns have no data and why.
- `row_needs: {value: needs}`: rows whose x or colour value is `value` (a series of a long-form
  chart, say "FCR %") are dropped without them, with the same note.

And one rule for unknown values: a row whose x (or colour, or a heatmap's y) is null is a bucket
nobody knows, so it is left out of the drawing; `n` names the count column summed to say how many
were left out, and `unknown` says why ("1,234 survey answers left out: no recorded wait").
Nothing here touches Streamlit or DuckDB: ui.py calls it with the store's cached coverage.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboard.catalogue import Query
from dashboard.chartspec import ChartSpec
from dashboard.coverage import Coverage

IMPORT_HINT = ("Import the missing data with `python -m dashboard import` and a mapping file that fills it "
               "(see the README's Import your data).")


def message(reasons: list[str]) -> str:
    """The words under a chart whose inputs the store lacks."""
    return f"No data: {'; '.join(reasons)}. {IMPORT_HINT}"


def chart_reasons(query: Query, coverage: Coverage) -> list[str]:
    """Why the whole chart has no data (its `needs`), or [] when it has."""
    return coverage.reasons(query.needs)


def _absent(needs_by_name: dict, coverage: Coverage) -> dict[str, list[str]]:
    return {name: reasons for name, needs in needs_by_name.items() if (reasons := coverage.reasons(needs))}


def absent_columns(query: Query, coverage: Coverage) -> dict[str, list[str]]:
    """Result columns whose inputs the store lacks -> why."""
    return _absent(query.column_needs, coverage)


def absent_rows(query: Query, coverage: Coverage) -> dict[str, list[str]]:
    """x or colour values (series) whose inputs the store lacks -> why."""
    return _absent(query.row_needs, coverage)


def blank(query: Query, frame: pl.DataFrame, coverage: Coverage) -> pl.DataFrame:
    """The result as the store can support it: columns without their inputs set to null, rows of a
    series without its inputs dropped. Counts and rates computed from nothing never reach a reader."""
    columns = [c for c in absent_columns(query, coverage) if c in frame.columns]
    if columns:
        frame = frame.with_columns(pl.lit(None, dtype=frame.schema[c]).alias(c) for c in columns)
    values = list(absent_rows(query, coverage))
    labels = [c for c in query.spec.label_columns() if c in frame.columns]
    if values and labels:
        named = pl.any_horizontal(pl.col(c).cast(pl.String).is_in(values) for c in labels)
        frame = frame.filter(~named.fill_null(False))
    return frame


def unknown_columns(query: Query, frame: pl.DataFrame) -> list[str]:
    """Columns the header's column_needs, n or reading name that the result lacks (a typo would
    otherwise leave a figure from nothing unblanked, a left-out count uncounted, or a chart unread)."""
    reading = query.spec.reading.columns() if query.spec.reading else ()
    named = dict.fromkeys([*query.column_needs, *([query.spec.n] if query.spec.n else []), *reading])
    return [name for name in named if name not in frame.columns]


def notes(query: Query, coverage: Coverage) -> list[str]:
    """One line per reason: which columns (or series) of the chart have no data and why. Columns
    sharing the same reasons are named together."""
    grouped: dict[tuple[str, ...], list[str]] = {}
    for column, reasons in absent_columns(query, coverage).items():
        grouped.setdefault(tuple(reasons), []).append(query.spec.label(column))
    for value, reasons in absent_rows(query, coverage).items():
        grouped.setdefault(tuple(reasons), []).append(value)
    return [f"No data for {', '.join(names)}: {'; '.join(reasons)}." for reasons, names in grouped.items()]


def all_y_absent(query: Query, coverage: Coverage) -> list[str]:
    """When every y of the chart is blanked, the reasons (the chart then has nothing to draw)."""
    absent = absent_columns(query, coverage)
    ys = query.spec.y
    if not ys or any(y not in absent for y in ys):
        return []
    return list(dict.fromkeys(reason for y in ys for reason in absent[y]))


def nothing_to_plot(spec: ChartSpec, frame: pl.DataFrame) -> bool:
    """True when the chart has rows but no value to draw (every y empty: a period without staff,
    say), which would otherwise show as an empty frame without a word."""
    ys = [y for y in spec.measures() if y in frame.columns]
    return frame.is_empty() or (bool(ys) and all(frame[y].null_count() == frame.height for y in ys))


@dataclass(frozen=True)
class LeftOut:
    """Rows left out of a chart because their bucket is unknown."""
    count: int
    noun: str
    why: str

    def text(self) -> str:
        return f"{self.count:,} {self.noun} left out: {self.why}."


def split_unknown(spec: ChartSpec, frame: pl.DataFrame) -> tuple[pl.DataFrame, LeftOut | None]:
    """(the rows to draw, what was left out): rows whose x, colour or heatmap row is null belong
    to no real bucket and are never drawn as one. The count is the sum of the header's `n` column
    over them (rows, without `n`); nothing is said when it is 0."""
    labels = [c for c in spec.label_columns() if c in frame.columns]
    if not labels:
        return frame, None
    unknown = pl.any_horizontal(pl.col(c).is_null() for c in labels)
    dropped = frame.filter(unknown)
    if dropped.is_empty():
        return frame, None
    kept = frame.filter(~unknown)
    if spec.n and spec.n in frame.columns:
        noun = spec.count_noun(spec.n)
        count = int(dropped.get_column(spec.n).fill_null(0).sum())
    else:
        count, noun = dropped.height, "rows"
    why = spec.unknown or f"{spec.label(labels[0]).lower()} unknown"
    return kept, (LeftOut(count, noun, why) if count else None)
