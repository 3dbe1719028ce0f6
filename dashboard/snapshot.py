"""Snapshots: a page drawn into one self-contained HTML file, through the same sections as the live
app (dashboard/layout.py) on HtmlCanvas, so a snapshot equals the live view for the same link.

The file holds the tiles with their n, every chart still interactive (plotly.js embedded once; no
network is needed to open it), the tables, the filters and page controls used, the data's date
range, when it was taken and from which store. Every text is HTML-escaped: names and link values
are data. From a terminal:

    python -m dashboard snapshot --page overview --params "team=Aurora&from=2025-03-01" --out view.html
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import os
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline
import polars as pl

from dashboard import (
    catalogue,
    config,
    coverage,
    figures,
    filters,
    kpis,
    layout,
    nodata,
    pages,
    scopes,
    store,
)
from dashboard.canvas import PageData

MAX_TABLE_ROWS = 2_000   # a page's tables are aggregates; a longer one is cut, saying so
CHART_CONFIG = {"displaylogo": False, "responsive": True}
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 16px; color: #1f2430; }
h1 { font-size: 1.6rem; margin: 0 0 4px; } h2 { font-size: 1.15rem; margin: 28px 0 6px; }
.meta, .caption { color: #5b6170; font-size: 0.85rem; margin: 4px 0; }
.strong { font-weight: 600; margin: 12px 0 4px; }
.notice { border-radius: 6px; padding: 8px 12px; margin: 8px 0; font-size: 0.9rem; }
.info { background: #e8f1fb; } .warning { background: #fff5dd; } .error { background: #fde8e8; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; margin: 8px 0; }
.tile { border: 1px solid #d9dce3; border-radius: 8px; padding: 10px 12px; overflow-wrap: anywhere; }
.tile .label { font-size: 0.85rem; color: #5b6170; } .tile .value { font-size: 1.5rem; font-weight: 600; }
.up { color: #1a7f37; } .down { color: #c62828; } .flat { color: #5b6170; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 16px; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 6px 0; display: block; overflow-x: auto; }
th, td { border-bottom: 1px solid #e3e5ea; padding: 4px 8px; text-align: left; white-space: nowrap; }
details { margin: 6px 0; } summary { cursor: pointer; color: #3d4352; }
.controls { font-size: 0.9rem; margin: 6px 0; }
@media (max-width: 480px) { .grid { grid-template-columns: repeat(2, 1fr); } body { padding: 10px; } }
"""


def render(path: str, link: Mapping[str, Sequence[str]] | str = "", db: str | os.PathLike | None = None,
           taken: dt.datetime | None = None, scope: scopes.Scope = scopes.EVERYTHING) -> str:
    """The page at `path` (a registry path) for the link's filters and controls, as one HTML file,
    drawn from the rows of `scope` only (the store scopes.store_for derives for it).
    `link` is a query string ("team=Aurora&from=2025-03-01") or its parsed form (key -> values).
    Raises store.StoreUnreadable for a store that cannot be read, KeyError for an unknown page."""
    page = pages.get(path)
    raw = urllib.parse.parse_qs(link.lstrip("?"), keep_blank_values=True) if isinstance(link, str) else dict(link)
    db_path = scopes.store_for(Path(db or config.store_path()), scope, "pages")
    con = store.open_read_only(db_path)
    try:
        choices = filters.read_choices(con)
        if not scope.is_everything:
            choices = dataclasses.replace(choices, scope=scope.describe())
        chosen, _, notices, _ = filters.parse_link(raw, choices, path)   # controls: read as drawn
        held = coverage.read(con)
        results: dict[tuple, pl.DataFrame] = {}

        def run(query: catalogue.Query, values: dict) -> pl.DataFrame:
            # once per query and values, as the live app's cache does (two sections may read one query)
            key = (query.sql, tuple(sorted(query.bind(values).items())))
            if key not in results:
                results[key] = nodata.blank(query, catalogue.execute(con, query, values), held)
            return results[key]

        data = PageData(page=path, chosen=chosen, choices=choices, coverage=held,
                        catalogue=catalogue.load(config.queries_dir()), runner=run)
        canvas = HtmlCanvas(data, raw)
        for notice in notices:
            canvas.notice("warning", notice)
        layout.draw(canvas)
    finally:
        con.close()
    return _document(page, data, canvas, db_path, taken or dt.datetime.now().astimezone())


def render_or_explain(path: str, link: Mapping[str, Sequence[str]], scope: scopes.Scope = scopes.EVERYTHING) -> str:
    """render(), or, when the store cannot be read (swapped out, cut short), a one-paragraph HTML
    file saying so: a download button has nowhere to show an error."""
    try:
        return render(path, link, scope=scope)
    except (store.StoreUnreadable, duckdb.Error) as exc:
        return (f"<!doctype html><meta charset='utf-8'><title>No snapshot</title>"
                f"<p>No snapshot was taken: {_e(exc)}</p>")


class HtmlCanvas:
    """canvas.Canvas written as HTML. Page controls are stated, not drawn: the value the link gave."""

    def __init__(self, data: PageData, link: Mapping[str, Sequence[str]]):
        self.data, self.link = data, link
        self.parts: list = []   # HTML text, or a function giving it (columns, expanders)
        self.charts = 0
        self.used_controls: list[tuple[str, str]] = []   # shared with the columns and expanders drawn in it
        self.reported: set[str] = set()                   # notices given: the link's own come first

    def html(self) -> str:
        return "\n".join(part() if callable(part) else part for part in self.parts)

    def _add(self, text: str) -> None:
        self.parts.append(text)

    def heading(self, text: str, help: str | None = None) -> None:
        self._add(f"<h2>{_e(text)}</h2>")

    def group(self, text: str) -> None:
        self._add(f'<h2 class="group">{_e(text)}</h2>')

    def caption(self, text: str) -> None:
        self._add(f'<p class="caption">{_e(text)}</p>')

    def strong(self, text: str) -> None:
        self._add(f'<p class="strong">{_e(text)}</p>')

    def notice(self, level: str, text: str) -> None:
        self.reported.add(text)
        self._add(f'<div class="notice {_e(level)}" role="note">{_e(text)}</div>')

    def no_data(self, reasons: Sequence[str]) -> None:
        self.notice("info", nodata.message(list(reasons)))

    def tiles(self, title: str, caption: str, tiles: Sequence[kpis.Tile]) -> None:
        self.heading(title)
        self.caption(caption)
        self._add('<div class="grid tiles">' + "".join(_tile(tile) for tile in tiles) + "</div>")

    def metrics(self, metrics: Sequence[dict]) -> None:
        cells = []
        for metric in metrics:
            delta = metric.get("delta")
            cells.append(f'<div class="tile"><div class="label">{_e(metric["label"])}</div>'
                         f'<div class="value">{_e(metric["value"])}</div>'
                         + (f'<div class="flat">{_e(delta)}</div>' if delta not in (None, "") else "") + "</div>")
        self._add('<div class="grid">' + "".join(cells) + "</div>")

    def chart(self, key: str, figure, *, drill: bool = False, data: pl.DataFrame | None = None,
              csv_name: str | None = None) -> None:
        self.charts += 1
        if not figure.layout.template.layout.to_plotly_json():   # drawn for the live theme (figures.LIVE_TEMPLATE): a copy
            figure = go.Figure(figure).update_layout(template=figures.SNAPSHOT_TEMPLATE)
        self._add(f'<div class="chart" data-key="{_e(key)}">'
                  + pio.to_html(figure, full_html=False, include_plotlyjs=False, config=CHART_CONFIG,
                                div_id=f"chart-{self.charts}") + "</div>")
        if data is not None:
            inner = HtmlCanvas(self.data, self.link)
            inner.table(f"data_{key}", data)
            self._add(f"<details><summary>Data</summary>{inner.html()}</details>")

    def table(self, key: str, frame: pl.DataFrame, *, csv_name: str | None = None, height: int | None = None) -> None:
        shown = frame.head(MAX_TABLE_ROWS)
        head = "".join(f"<th>{_e(column)}</th>" for column in shown.columns)
        rows = "".join("<tr>" + "".join(f"<td>{_cell(value)}</td>" for value in row) + "</tr>"
                       for row in shown.iter_rows())
        self._add(f'<table data-key="{_e(key)}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>')
        if frame.height > shown.height:
            self.caption(f"The first {shown.height:,} of {frame.height:,} rows.")

    def columns(self, spec: int | Sequence[float]) -> list[HtmlCanvas]:
        inner = [HtmlCanvas(self.data, self.link) for _ in range(spec if isinstance(spec, int) else len(spec))]
        # drawn later, once the section has filled the columns
        self.parts.append(lambda: '<div class="columns">' + "".join(
            f"<div>{column.html()}</div>" for column in inner) + "</div>")
        for column in inner:
            column.used_controls, column.reported = self.used_controls, self.reported
        return inner

    def expander(self, title: str) -> HtmlCanvas:
        inner = HtmlCanvas(self.data, self.link)
        inner.used_controls, inner.reported = self.used_controls, self.reported
        self.parts.append(lambda: f"<details><summary>{_e(title)}</summary>{inner.html()}</details>")
        return inner

    def control(self, key: str, widget: str, *, high: float | None = None, **hints) -> object:
        spec = filters.CONTROL[key]
        value, problem = filters.parse_control(self.link, spec, high)
        if problem and problem not in self.reported:   # parse_link has said it at the top
            self.notice("warning", problem)
        self.data.controls[key] = value
        shown = "from the data" if value is None else spec.words(value)
        self.used_controls.append((spec.label, shown))
        self._add(f'<p class="controls">{_e(spec.label)}: <b>{_e(shown)}</b></p>')
        return value


def _document(page: pages.Page, data: PageData, canvas: HtmlCanvas, db: Path, taken: dt.datetime) -> str:
    chosen, choices = data.chosen, data.choices
    body = canvas.html()
    used = "".join(f"<li>{_e(label)}: {_e(value)}</li>" for label, value in canvas.used_controls)
    real, _, mtime_ns = store.version(db)
    meta = (f'<p class="meta">Filters: {_e(chosen.describe())}. The data runs from {choices.first_day} to '
            f'{choices.last_day}.</p>'
            f'<p class="meta">Taken {taken:%d %b %Y %H:%M %Z} from the store {_e(os.path.basename(real))} '
            f'(written {dt.datetime.fromtimestamp(mtime_ns / 1e9):%d %b %Y %H:%M}).</p>'
            + (f'<ul class="meta">{used}</ul>' if used else ""))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<title>{_e(page.page_title)} · {_e(chosen.describe())}</title>
<style>{STYLE}</style>
<script>{plotly.offline.get_plotlyjs()}</script>
</head><body>
<h1>{_e(page.page_title)}</h1>
{meta}
{body}
</body></html>
"""


def _tile(tile: kpis.Tile) -> str:
    """One KPI as the live tile shows it: label, value, change, target verdict and n (or why none)."""
    delta = ""
    if tile.delta is not None:
        good = tile.delta > 0 if tile.kpi.higher_is_better else tile.delta < 0
        kind = "flat" if tile.delta_is_zero else ("up" if good else "down")
        delta = f'<div class="delta {kind}">{_e(tile.kpi.format_delta(tile.delta))}</div>'
    if tile.hidden:
        lines = [_e(f"{tile.hidden.capitalize()}.")]
    elif tile.no_data:
        lines = [_e(f"No data: {tile.no_data}.")]
    else:
        dot = {True: '<span class="up">● </span>', False: '<span class="down">● </span>', None: ""}[tile.meets_target]
        lines = [f"{dot}{_e(tile.target_text())}", _e(tile.n_text()),
                 *([_e(f"No comparison: {tile.no_comparison}.")] if tile.no_comparison else [])]
    captions = "".join(f'<div class="caption">{line}</div>' for line in lines)
    return (f'<div class="tile" title="{_e(tile.kpi.label)}: {_e(tile.kpi.formula)}">'
            f'<div class="label">{_e(tile.kpi.tile_label)}</div><div class="value">{_e(tile.value_text())}</div>'
            f'{delta}{captions}</div>')


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return _e(f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}")
    return _e(value)


def add_parser(subparsers) -> None:
    """Adds `snapshot` to cli.py's subparsers."""
    parser = subparsers.add_parser(
        "snapshot", help="write one page, as a link would show it, to a self-contained HTML file",
        description="Writes the page at PAGE (its URL path) for the link's filters and page controls into one "
                    "HTML file that opens without a network: tiles with their n, interactive charts, tables.")
    parser.add_argument("--page", required=True, metavar="PAGE", help=f"one of: {', '.join(layout.drawable_paths())}")
    parser.add_argument("--params", default="", metavar="QUERY",
                        help='the link\'s query string, e.g. "team=Aurora&from=2025-03-01" (default: the defaults)')
    parser.add_argument("--db", type=Path, default=None, help="store file (default $DASHBOARD_DB or data/store.duckdb)")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.html", help="the file to write")


def main(args) -> int:
    """The `snapshot` command: 0 written; 2 an unknown page or a store that cannot be read."""
    import sys

    if args.page.strip("/") not in layout.drawable_paths():
        print(f"--page {args.page!r} is not a page a snapshot can draw; choose one of: "
              f"{', '.join(layout.drawable_paths())}",
              file=sys.stderr)
        return 2
    text = render(args.page.strip("/"), args.params, args.db)
    out = Path(args.out)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"Cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({len(text.encode()) / 2**20:.1f} MB)", file=sys.stderr)
    return 0
