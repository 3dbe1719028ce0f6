"""The generic section every page starts with: the query files whose header names the page, in
their declared order, drawn on a Canvas (dashboard/canvas.py) as tiles, charts or tables with
"no data" and why. Plain code: the live app and the snapshot both draw through it."""

from __future__ import annotations

import re

import polars as pl

from dashboard import catalogue, config, figures, filters, kpis, nodata
from dashboard.canvas import Canvas, SectionProblem

EVENTS_SQL = """
    select e.starts_on, e.ends_on, e.title, e.category, t.team_name
    from events as e
    left join teams as t using (team_id)
    where (e.team_id is null or $team is null or t.team_name = $team)
      and e.starts_on <= $date_to and coalesce(e.ends_on, e.starts_on) >= $date_from
    order by e.starts_on
"""


def query_files(canvas: Canvas) -> None:
    """Every query file that names this page, in order; a page with none says so."""
    data = canvas.data
    for err in data.catalogue.errors_for_page(data.page):
        canvas.notice("error", f"{err.location}: {err.message}")
    queries = data.catalogue.for_page(data.page)
    if not any(q.page == data.page for q in data.catalogue.queries):
        canvas.notice("info", "This page is coming in a later release. Any query file in queries/ whose header "
                              f"says page: {data.page} appears here.")
        return
    bound = data.bound()
    for query in queries:
        try:
            query_block(canvas, query, bound)
        except SectionProblem as problem:
            canvas.notice("error", str(problem))


def query_block(canvas: Canvas, query: catalogue.Query, bound: dict) -> None:
    """One query file as its header says: tiles, a chart or a table, with its data and CSV."""
    data = canvas.data
    if empty := data.missing(query):
        canvas.heading(query.title)
        canvas.no_data(empty)
        return
    if query.chart == "kpi":
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
    elif query.chart == "table":
        canvas.table(f"table_{query.name}", figures.table(frame), csv_name=query.name)
    else:
        chart(canvas, query, frame)
    for note in data.absent_notes(query):
        canvas.notice("info", note)


def chart(canvas: Canvas, query: catalogue.Query, frame: pl.DataFrame) -> None:
    """The header's chart of the rows whose buckets are known; rows of an unknown bucket are left
    out and counted under it (nodata.split_unknown)."""
    drawn, left_out = nodata.split_unknown(query, frame)
    if nodata.nothing_to_plot(query, drawn):
        canvas.notice("info", "No data for these filters." + (f" {left_out.text()}" if left_out else ""))
        return
    try:
        figure = figures.build(query, drawn)
    except Exception as exc:  # a header naming a column the query does not return: plotly's words
        canvas.notice("error", f"{query.path.name}: cannot draw the {query.chart} chart: {exc}")
        return
    if figures.shows_events(query, drawn):
        figures.add_events(figure, events(canvas), canvas.data.chosen.date_from, canvas.data.chosen.date_to)
    if query.drill:
        canvas.caption("Click a team to narrow every page to it.")
    canvas.chart(f"chart_{query.name}", figure, drill=query.drill, data=frame, csv_name=query.name)
    if left_out:
        canvas.caption(left_out.text())


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
                 f"{before.date_to:%d %b %Y} (the {chosen.days} days before), where both periods lie inside the "
                 f"data and rest on at least {config.min_comparison_n()} each.", drawn)


def events(canvas: Canvas) -> pl.DataFrame:
    """Events in the period that concern the filtered team (or the whole centre)."""
    query = catalogue.Query(name="events", path=config.queries_dir(), title="", description="", chart="data",
                            sql=EVENTS_SQL, params=("date_from", "date_to", "team"))
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
