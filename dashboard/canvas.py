"""The seam between what a page shows and how it is drawn.

A page's sections are plain functions `section(canvas)` (no Streamlit in them) that read data
through `canvas.data` and draw through the Canvas methods below. Two renderers implement Canvas:
dashboard/live.py draws with Streamlit (widgets, clicks, downloads), dashboard/snapshot.py writes
one self-contained HTML file. A snapshot is then the live view by construction: the same section
functions, the same data, the same figures, only the drawing differs.

Every text handed to a Canvas method is plain text: a renderer escapes it (names and URL values are
data, never markdown or HTML). `strong` is the one emphasis a section may ask for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import polars as pl

from dashboard import catalogue, confidential, config, coverage, filters, kpis, nodata


class SectionProblem(Exception):
    """A query file a section needs is missing or broken (file, line, message), or stopped at its
    time limit: the renderer shows the message in place of the section and goes on with the next."""


@dataclass
class PageData:
    """Everything a section may read, the same for both renderers: the filters in force, the
    store's choices and coverage, the query files, and a runner for them (cached by the live app,
    direct in a snapshot). `controls` collects the page controls' values as they are drawn."""

    page: str
    chosen: filters.Filters
    choices: filters.Choices
    coverage: coverage.Coverage
    catalogue: catalogue.Catalogue
    runner: Callable[[catalogue.Query, dict], pl.DataFrame]
    # runs planned queries together for the runner's cache, returning their errors by run_key
    # (catalogue.run_together); None: each query runs when a section reads it
    prefetcher: Callable[[list[tuple[catalogue.Query, dict]]], dict] | None = None
    controls: dict = field(default_factory=dict)
    hidden: dict = field(default_factory=dict)   # query name -> confidential.Hidden of its last run
    failed: dict = field(default_factory=dict)   # run_key -> the QueryFileError a prefetch met

    def prefetch(self, planned: list[tuple[catalogue.Query, dict]]) -> None:
        """Runs the queries the sections will read (layout.planned) together, before they draw."""
        if self.prefetcher is not None and planned:
            self.failed = self.prefetcher(planned)

    def bound(self, controls: dict | None = None) -> dict:
        return filters.bound_values(self.chosen, {**self.controls, **(controls or {})})

    def query(self, name: str) -> catalogue.Query:
        try:
            return self.catalogue.get(name)
        except KeyError:
            broken = [e for e in self.catalogue.errors if e.path.stem == name]
            raise SectionProblem(f"{broken[0].location}: {broken[0].message}" if broken else
                                 f"{name}.sql is missing from {config.queries_dir()}; this section needs it.") from None

    def frame(self, name: str, controls: dict | None = None) -> pl.DataFrame:
        """The named query's rows for the filters and the page's controls."""
        return self.run(self.query(name), self.bound(controls))

    def run(self, query: catalogue.Query, values: dict) -> pl.DataFrame:
        """The query's rows, with agent-survey figures of too few respondents blanked: every chart,
        table, CSV and snapshot of every page reads its rows here (dashboard/confidential.py)."""
        try:
            if (err := self.failed.get(catalogue.run_key(query, values))) is not None:
                raise err
            frame = self.runner(query, values)
        except catalogue.QueryFileError as err:   # QueryStopped included: the message says it stopped
            raise SectionProblem(f"{err.location}: {err.message}") from None
        try:
            frame, self.hidden[query.name] = confidential.hide(query.respondents or {}, frame, query.path)
        except confidential.UnknownColumns as err:
            raise SectionProblem(f"{err.path.name}: {err}") from None
        return frame

    def missing(self, query: catalogue.Query) -> list[str]:
        """Why a chart has no data: each of its `needs` the store lacks, in words; [] when it has them."""
        return nodata.chart_reasons(query, self.coverage)

    def absent_columns(self, query: catalogue.Query) -> dict[str, list[str]]:
        return nodata.absent_columns(query, self.coverage)

    def absent_notes(self, query: catalogue.Query) -> list[str]:
        """Why columns or rows of the chart are empty: inputs the store lacks, and agent-survey
        figures hidden for too few respondents."""
        hidden = self.hidden.get(query.name)
        return nodata.notes(query, self.coverage) + ([hidden.note()] if hidden else [])

    def all_hidden(self, query: catalogue.Query, frame: pl.DataFrame, drawn: Sequence[str] = ()) -> str | None:
        """When hiding left the chart nothing to draw (every one of `drawn`, by default the header's
        y, is empty): the words to show instead of it."""
        hidden = self.hidden.get(query.name)
        return hidden.note() if confidential.all_hidden(list(drawn or query.spec.y), frame, hidden) else None


class Canvas(Protocol):
    data: PageData

    def heading(self, text: str, help: str | None = None) -> None:
        """A section's heading."""

    def group(self, text: str) -> None:
        """A heading above several sections (the catalogue's tags), ruled off from what came before."""

    def caption(self, text: str) -> None:
        """Small explanatory text."""

    def strong(self, text: str) -> None:
        """One emphasised line (a what-if's conclusion)."""

    def notice(self, level: str, text: str) -> None:
        """'info', 'warning' or 'error', in a box."""

    def no_data(self, reasons: Sequence[str]) -> None:
        """The one way a section says it has no data, and why (nodata.message)."""

    def tiles(self, title: str, caption: str, tiles: Sequence[kpis.Tile]) -> None:
        """KPI tiles, each with its n, change and target."""

    def metrics(self, metrics: Sequence[dict]) -> None:
        """A row of figures: each {'label', 'value', 'delta'?, 'delta_color'?, 'help'?}."""

    def chart(self, key: str, figure, *, drill: bool = False, data: pl.DataFrame | None = None,
              csv_name: str | None = None) -> None:
        """A plotly figure. drill: a click on a team narrows every page to it (live only).
        data/csv_name: the rows the figure drew, offered as a table and a CSV."""

    def table(self, key: str, frame: pl.DataFrame, *, csv_name: str | None = None, height: int | None = None) -> None:
        """A table of rows."""

    def columns(self, spec: int | Sequence[float]) -> list[Canvas]:
        """Side-by-side areas: a count of equal ones, or their relative widths ([1, 1, 2, 1]: the
        third twice as wide). One under the other on a phone."""

    def expander(self, title: str) -> Canvas:
        """A folded area."""

    def control(self, key: str, widget: str, *, high: float | None = None, **hints) -> object:
        """The page control declared under `key` in filters.CONTROLS, drawn as `widget` ('radio',
        'segmented', 'select', 'number', 'slider'); returns its value and records it in
        data.controls. A snapshot draws no widget: it states the value the link gave."""


Section = Callable[[Canvas], None]


def reads(*names: str) -> Callable[[Section], Section]:
    """Declares the query files a section reads with the page's filters (data.frame(name)), so that the
    page runs them together with its other queries before drawing (layout.planned). A name left out
    only costs speed: the section still runs it itself; tests/test_prefetch.py checks none is."""
    def declare(section: Section) -> Section:
        section.plan = lambda data: [(data.query(name), data.bound()) for name in names]
        return section
    return declare
