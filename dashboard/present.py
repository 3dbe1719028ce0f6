"""The generic section every page starts with: the query files whose header names the page, in
their declared order, drawn on a Canvas (dashboard/canvas.py) as tiles, charts or tables with
"no data" and why. Plain code: the live app and the snapshot both draw through it."""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from dashboard import catalogue, config, figures, filters, kpis, nodata, readings
from dashboard.canvas import Canvas, PageData, SectionProblem
from dashboard.chartspec import ChartSpec

EVENTS_SQL = """
    select e.starts_on, e.ends_on, e.title, e.category, t.team_name
    from events as e
    left join teams as t using (team_id)
    where (e.team_id is null or $team is null or t.team_name = $team)
      and e.starts_on <= $date_to and coalesce(e.ends_on, e.starts_on) >= $date_from
    order by e.starts_on
"""


def query_files(canvas: Canvas, after: int | None = None, through: int | None = None) -> None:
    """Every query file that names this page, in order; a page with none says so. after/through:
    only the files whose `order` lies in (after, through], so a page can place a section of its
    own between them (query_files_split); broken files are listed by the first part only."""
    data = canvas.data
    if after is None:
        for err in data.catalogue.errors_for_page(data.page):
            canvas.notice("error", f"{err.location}: {err.message}")
    if not any(q.page == data.page for q in data.catalogue.queries):
        if after is None:
            canvas.notice("info", "This page is coming in a later release. Any query file in queries/ whose "
                                  f"header says page: {data.page} appears here.")
        return
    bound = data.bound()
    for query in _page_files(data, after, through):
        try:
            query_block(canvas, query, bound)
        except SectionProblem as problem:
            canvas.notice("error", str(problem))


def _page_files(data: PageData, after: int | None, through: int | None) -> list[catalogue.Query]:
    return [q for q in data.catalogue.for_page(data.page)
            if (after is None or q.order > after) and (through is None or q.order <= through)]


def planned_blocks(data: PageData, queries: list[catalogue.Query]) -> list[tuple[catalogue.Query, dict]]:
    """What query_block runs for these files: each with the filters, and KPI tiles also with the
    period before (tiles)."""
    planned = []
    for query in queries:
        planned.append((query, data.bound()))
        if query.spec.kind == "kpi":
            planned.append((query, filters.bound_values(data.chosen.previous_period(), data.controls)))
    return planned


query_files.plan = lambda data: planned_blocks(data, _page_files(data, None, None))


def query_files_split(order: int) -> tuple[Callable[[Canvas], None], Callable[[Canvas], None]]:
    """Two sections drawing the page's query files up to `order` and after it, for a page that
    places a section of its own between them (the overview's mirror line after its first tiles)."""
    def query_files_through(canvas: Canvas) -> None:
        query_files(canvas, through=order)

    def query_files_after(canvas: Canvas) -> None:
        query_files(canvas, after=order)
    query_files_through.plan = lambda data: planned_blocks(data, _page_files(data, None, order))
    query_files_after.plan = lambda data: planned_blocks(data, _page_files(data, order, None))
    return query_files_through, query_files_after


def catalogue_files(canvas: Canvas) -> None:
    """The Query catalogue: every query file whose header names no page, grouped by its first tag,
    each drawn as on a page; then the list of every file, broken ones with their problem."""
    data = canvas.data
    canvas.caption("Charts from query files that name no page, grouped by their first tag. Add one by dropping a "
                   ".sql file into queries/ (see the README's Add a chart); it shows here on the next rerun.")
    for err in data.catalogue.errors_without_page():
        canvas.notice("error", f"{err.location}: {err.message}")
    groups = data.catalogue.by_tag()
    if not groups:
        canvas.notice("info", "No query file without a page yet. A file whose header has no `page:` line appears here.")
    bound = data.bound()
    for tag, queries in groups.items():
        canvas.group(tag)
        for query in queries:
            try:
                query_block(canvas, query, bound)
            except SectionProblem as problem:
                canvas.notice("error", str(problem))
    canvas.expander(f"All {len(data.catalogue.queries)} query files").table(
        "query_files", catalogue.listing(data.catalogue), csv_name="query_files")


catalogue_files.plan = lambda data: planned_blocks(data, [q for group in data.catalogue.by_tag().values()
                                                          for q in group])


def query_block(canvas: Canvas, query: catalogue.Query, bound: dict) -> None:
    """One query file as its header says: tiles, a chart or a table, with its data and CSV."""
    data = canvas.data
    if empty := data.missing(query):
        canvas.heading(query.title)
        canvas.no_data(empty)
        return
    if query.spec.kind == "kpi":
        tiles(canvas, query)
        return
    frame = data.run(query, bound)
    canvas.heading(query.title)
    canvas.caption(query.description)
    if unknown := nodata.unknown_columns(query, frame):
        canvas.notice("error", f"{query.path.name}: the header names {', '.join(unknown)}, which the query does "
                               f"not return (its columns: {', '.join(frame.columns)})")
        return
    if nothing := nodata.all_y_absent(query, data.coverage):
        canvas.no_data(nothing)
        return
    if frame.is_empty():
        canvas.notice("info", "No data for these filters.")
    elif hidden := data.all_hidden(query, frame):
        canvas.notice("info", hidden)
        return
    elif query.spec.kind == "table":
        canvas.table(f"table_{query.name}", figures.table(frame), csv_name=query.name)
    else:
        chart(canvas, query, frame)
    for note in data.absent_notes(query):
        canvas.notice("info", note)


def chart(canvas: Canvas, query: catalogue.Query, frame: pl.DataFrame, spec: ChartSpec | None = None,
          key: str | None = None, csv_name: str | None = None) -> None:
    """The query's chart (its header's spec, or another view of the same rows) of the rows whose
    buckets are known; rows of an unknown bucket are left out and counted under it
    (nodata.split_unknown). A spec with a reading gets it in words under the chart, from the same
    drawn rows (hidden agent-survey figures already blank: PageData.run)."""
    spec = spec or query.spec
    drawn, left_out = nodata.split_unknown(spec, frame)
    if nodata.nothing_to_plot(spec, drawn):
        canvas.notice("info", "No data for these filters." + (f" {left_out.text()}" if left_out else ""))
        return
    shaded = events(canvas) if figures.shows_events(spec, drawn) else None
    try:
        figure = figures.drawn(spec, drawn, shaded, canvas.data.chosen.date_from, canvas.data.chosen.date_to)
    except Exception as exc:  # a header naming a column the query does not return: plotly's words
        canvas.notice("error", f"{query.path.name}: cannot draw the {spec.kind} chart: {exc}")
        return
    if spec.drill:
        canvas.caption("Click a team to narrow every page to it.")
    canvas.chart(key or f"chart_{query.name}", figure, drill=bool(spec.drill), data=frame,
                 csv_name=csv_name or query.name)
    if left_out:
        canvas.caption(left_out.text())
    if spec.reading and not (missing := [c for c in spec.reading.columns() if c not in drawn.columns]):
        canvas.caption(readings.chart_reading(spec, drawn))
    elif spec.reading:
        canvas.notice("error", f"{query.path.name}: the header's reading names {', '.join(missing)}, which the "
                               f"query does not return (its columns: {', '.join(drawn.columns)})")


def tiles(canvas: Canvas, query: catalogue.Query) -> None:
    """KPI tiles: each KPI now, its change against the period before, its target and its n."""
    data = canvas.data
    chosen, before = data.chosen, data.chosen.previous_period()
    current = data.run(query, data.bound())
    previous = data.run(query, filters.bound_values(before, data.controls))
    targets, problems = kpis.load_targets(config.targets_path())
    for problem in problems:
        canvas.notice("warning", problem)
    wrong = [p for p in (kpis.column_problem(c, current.columns) for c in current.columns) if p]
    if wrong:
        canvas.notice("error", f"{query.path.name}: {'; '.join(wrong)}")
        return
    row_now = current.row(0, named=True) if current.height else {c: None for c in current.columns}
    row_before = previous.row(0, named=True) if previous.height else {}
    periods = ((chosen.date_from, chosen.date_to), (before.date_from, before.date_to))
    drawn = kpis.tiles(row_now, row_before, targets, chosen.days, data.coverage, periods, config.min_comparison_n())
    canvas.tiles(query.title, f"{query.description} Changes: against {before.date_from:%d %b} – "
                 f"{before.date_to:%d %b %Y}, where both periods lie inside the data with n ≥ "
                 f"{config.min_comparison_n()} each.", drawn)


def events(canvas: Canvas) -> pl.DataFrame:
    """Events in the period that concern the filtered team (or the whole centre)."""
    query = catalogue.Query(name="events", path=config.queries_dir(), title="", description="", sql=EVENTS_SQL,
                            params=("date_from", "date_to", "team"))
    return canvas.data.run(query, canvas.data.bound())



def export_file_name(name: str, chosen: filters.Filters, suffix: str = "csv") -> str:
    """A download's file name that says what it holds: the query or page, the period and any filter
    in force (contacts_per_team_2025-01-01_2025-03-31_team-Aurora.csv), in characters every system
    accepts."""
    parts = [name, f"{chosen.date_from:%Y-%m-%d}_{chosen.date_to:%Y-%m-%d}"]
    for key in ("site", "team", "channel", "touchpoint"):
        value = getattr(chosen, key)
        if value:
            parts.append(f"{key}-{re.sub(r'[^A-Za-z0-9]+', '-', value).strip('-')[:40] or 'x'}")
    return "_".join(parts) + f".{suffix}"
