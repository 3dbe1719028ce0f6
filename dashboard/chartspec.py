"""What a chart looks like, apart from the SQL that feeds it: its kind, axes, labels, colours,
intervals, goal lines and events. A query file's header declares one (catalogue.Query.spec); a page
that wants another view of the same rows asks for `spec.but(...)`, and the lab and Python sections
declare their own, so every chart is drawn by figures.build from a spec and a frame."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

# `data`: rows a page's code reads (a section draws them); `kpi`: tiles; `table`: a table
CHART_KINDS = {"kpi", "line", "bar", "area", "scatter", "heatmap", "table", "data"}
NEEDS_AXES = {"line", "bar", "area", "scatter", "heatmap"}


READING_KINDS = ("compare", "medians", "correlate")
READING_ORDERS = ("ends", "first")


@dataclass(frozen=True)
class Reading:
    """How a relationship chart is read in words under it (dashboard/readings.py), declared by the
    header's `reading:` key and computed from the rows the chart draws.

    compare: a share (hits of n) in one category of x against another, with the interval of the
    difference; medians: the y of each category (a median) and its n, with no interval; correlate:
    Pearson's r of x and y over the points. `against` is "ends" (the last category against the
    first) or "first" (every category against the first, a baseline)."""
    kind: str                        # one of READING_KINDS
    against: str = "ends"            # compare and medians: one of READING_ORDERS
    hits: str | None = None          # compare: the column counting the hits out of n
    n: str | None = None             # compare and medians: the count column (the header's n by default)
    points: str | None = None        # correlate: what one point is, in words ("teams")
    by: str | None = None            # the colour column: each of its series read apart
    leave_out: tuple[str, ...] = ()  # series not read (a pooled line that mixes the others)
    unit: str | None = None          # medians: the unit of y ("h")

    def columns(self) -> tuple[str, ...]:
        """The result columns the reading reads beyond the chart's axes."""
        return tuple(c for c in (self.hits, self.n, self.by) if c)


@dataclass(frozen=True)
class ChartSpec:
    kind: str = "data"
    x: str | None = None
    y: tuple[str, ...] = ()
    color: str | None = None
    z: str | None = None
    labels: dict = field(default_factory=dict, hash=False)
    x_title: str | None = None
    y_title: str | None = None
    error_low: str | None = None     # column holding the lower bound of y (a confidence interval)
    error_high: str | None = None
    hover: tuple[str, ...] = ()      # extra columns shown on hover (say, n)
    n: str | None = None             # the count column behind each row: what rows with an unknown x leave out
    unknown: str | None = None       # why a row's x can be unknown, in words ("no recorded wait")
    drill: str | None = None         # a team_name column: clicking a point narrows the team filter
    log_x: bool = False
    annotate_events: bool | None = None   # the events table on the x axis; None: on every time axis
    barmode: str | None = None       # bar charts with a colour or several y: group (default), stack or relative
    dodge: bool = False              # points sharing an x are spread sideways so none hides another
    value_labels: bool = False       # each bar carries its value, so a bar of 0 still reads "0"
    lower_is_better: bool = False    # a heatmap's red-to-green scale turned round: green always means good
    # y column -> KPI id whose target in targets.yaml is drawn as a goal line
    targets: dict = field(default_factory=dict, hash=False)
    reading: Reading | None = None   # the chart's reading in words, drawn under it


    def but(self, **changes) -> ChartSpec:
        """Another view of the same rows (the heatmap of a picked measure, say)."""
        return replace(self, **changes)

    def label(self, column: str) -> str:
        """A column's name as a reader sees it: the header's label, else the name in words."""
        return str(self.labels.get(column, column.replace("_", " ")))

    def count_noun(self, column: str) -> str:
        """What a count column counts, from its label: "Survey answers (n)" counts survey answers."""
        return re.sub(r"\s*\([^)]*\)$", "", self.label(column)).lower()

    def label_columns(self) -> list[str]:
        """The columns whose values name a row: its place on the x axis, its series, a heatmap's row."""
        return [c for c in (self.x, self.color, self.y[0] if self.kind == "heatmap" and self.y else None) if c]

    def measures(self) -> tuple[str, ...]:
        """The columns holding the drawn values: a heatmap's colour, else the y columns."""
        return (self.z,) if self.kind == "heatmap" and self.z else self.y
