"""Plotly figures from a chart spec and a result frame: the spec's kind and axes (a query file's
header, dashboard/chartspec.py) are all a chart needs (as in Evidence), so an analyst never writes
plotting code."""

from __future__ import annotations

import hashlib
import html
import threading
import zlib
from collections import OrderedDict

import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from _plotly_utils.basevalidators import ColorscaleValidator

from dashboard import config, kpis, safe_text
from dashboard.chartspec import ChartSpec

PERCENT_HINTS = ("_pct", "rate", "csat", "service_level", "fcr", "satisfaction", "within")
# a monthly x labelled by month: plotly's own ticks for a few months fall on Sundays, so December's
# point sat over "Nov 30"
MONTH_TICKS = dict(dtick="M1", tickformat="%b %Y", hoverformat="%b %Y")
DODGE_STEP = 0.012   # of the x axis's span: how far apart points sharing an x are set
DODGED_X = "_x_dodged"
NO_DATA = "no data"

# One colour per channel, site and escalation level on every chart (pages, the lab, snapshots),
# declared here only. A colour column is matched by its name or its label ("series", labelled
# Channel, holds channels); a level by the series' label. Names not listed get a colour from
# FALLBACK chosen by a hash of the name, so a new site has the same colour on every chart.
PALETTE = {
    "channel": {"phone": "#1f77b4", "chat": "#ff7f0e", "messaging": "#2ca02c", "email": "#9467bd",
                "All channels": "#4d4d4d"},
    "site": {"Leeds": "#8c564b", "Cork": "#17becf", "Lisbon": "#e377c2"},
    "escalation level": {"0 · agent": "#4daf4a", "1 · team lead": "#e6ab02", "2 · manager": "#ff7f00",
                         "3 · senior management": "#d62728"},
}
FALLBACK = px.colors.qualitative.Safe


def chart_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with its text cells escaped for plotly, which reads a subset of HTML (links,
    bold) in tick labels, legends and hover text: a name from the data shows as written.
    selected_team reads a clicked name back."""
    text = [c for c, t in frame.schema.items() if t in (pl.String, pl.Categorical)]
    return frame.with_columns(pl.col(c).cast(pl.String).map_elements(safe_text.chart, return_dtype=pl.String)
                              for c in text)


# Figures already drawn, by what they were drawn from. The same rows come back on every rerun and
# for every reader of the same view, so each is built once (a millisecond or two a chart since build
# writes plain dicts; through plotly's validated objects it was tens). Bounded, shared by the
# server's sessions (a lock: Streamlit runs them in threads). A cached figure is never changed after
# it is stored: drawn() returns it for reading.
# The same memory serves whatever else a page builds from its rows in Python (remembered(): the
# attrition page's retention curves, their figure and reading), so one bound holds for all of it.
DRAWN_KEEP = 256
# Figures are built without plotly's template: it would be copied into every figure and every
# figure's JSON, and the live page draws with Streamlit's theme in its place. A snapshot, which has
# no Streamlit, puts plotly's template back when it writes the page (snapshot.HtmlCanvas.chart).
LIVE_TEMPLATE = "none"
SNAPSHOT_TEMPLATE = "plotly"
_drawn: OrderedDict[tuple, object] = OrderedDict()
_drawn_lock = threading.Lock()


def frame_key(frame: pl.DataFrame | None) -> bytes | None:
    """A digest of the frame's columns, types and every value."""
    if frame is None:
        return None
    return hashlib.sha256(frame.serialize(format="binary")).digest()


def remembered(key: tuple, make):
    """make(), made once for the same key (which must name everything the result is made from,
    frames by frame_key), then served from memory to every session. Do not change what it returns."""
    with _drawn_lock:
        if key in _drawn:
            _drawn.move_to_end(key)
            return _drawn[key]
    made = make()
    with _drawn_lock:
        _drawn[key] = made
        while len(_drawn) > DRAWN_KEEP:
            _drawn.popitem(last=False)
    return made


def drawn(spec: ChartSpec, frame: pl.DataFrame, events: pl.DataFrame | None = None,
          first=None, last=None) -> go.Figure:
    """build(spec, frame), with the events shaded when given (add_events), built once for the same
    spec, rows, events and span, then served from memory. Do not change the figure it returns."""
    def make() -> go.Figure:
        figure = build(spec, frame)
        if events is not None:
            add_events(figure, events, first, last)
        return figure
    return remembered(("chart", repr(spec), frame_key(frame), frame_key(events), first, last), make)


def build(spec: ChartSpec, frame: pl.DataFrame) -> go.Figure:
    """The figure the spec declares. y may name several columns: they share one axis.

    Drawn as plotly express would draw it (px.line, bar, area, scatter and imshow with the same
    arguments, and plotly's add_hline, add_vrect and add_annotation for goal lines and events:
    tests/_reference_figures.py keeps that build and tests/test_figures_equal.py checks the two
    agree), but written as plain dicts and wrapped once without plotly's validation: express and
    those methods build through plotly's validated objects, which was most of a page's cold draw
    (1.1-1.7 s of the escalations page's 1.2-1.8 s on the 1M demo)."""
    return _figure(*_drawing(spec, frame))


def _figure(data: list[dict], layout: dict) -> go.Figure:
    # every value here is built by this module in the form plotly's validation would give it
    return go.Figure(dict(data=data, layout=layout), _validate=False)


def _drawing(spec: ChartSpec, frame: pl.DataFrame) -> tuple[list[dict], dict]:
    """The traces and layout of build(spec, frame)."""
    frame = chart_safe(frame)
    labels = {c: safe_text.chart(text) for c, text in
              {**{c: c.replace("_", " ") for c in frame.columns}, **spec.labels}.items()}
    y = list(spec.y)
    if spec.kind == "heatmap":
        data, layout = _heatmap(spec, frame, labels)
    else:
        data, layout = _xy_traces(spec, frame, labels)
    layout["height"] = 360
    layout["margin"] = dict(l=10, r=10, t=30, b=10)
    layout.setdefault("legend", {}).update(orientation="h", yanchor="bottom", y=1.02, x=0)
    if spec.y_title or len(y) > 1:
        layout["yaxis"]["title"] = {"text": safe_text.chart(spec.y_title or "")}
    if spec.x_title:
        layout["xaxis"]["title"] = {"text": safe_text.chart(spec.x_title)}
    if spec.x in frame.columns and is_monthly(frame.get_column(spec.x)):
        layout["xaxis"].update(MONTH_TICKS)
    if spec.targets and spec.kind != "heatmap":
        _add_marks(layout, goal_marks(spec, kpis.load_targets(config.targets_path())[0]))
    return data, layout


# What plotly express puts in every figure it draws with LIVE_TEMPLATE, and its defaults for what
# this module never varies: the first of each sequence (dash, symbol, pattern).
_TEMPLATE = pio.templates[LIVE_TEMPLATE].to_plotly_json()
_SERIES_COLOURS = px.colors.qualitative.Plotly
_HEATMAP_SCALE = ColorscaleValidator("colorscale", "make_figure").validate_coerce("RdYlGn")
_NUMBER_SCALE = ColorscaleValidator("colorscale", "make_figure").validate_coerce(px.colors.sequential.Viridis)
# px.line and px.scatter switch to WebGL traces above this many rows (their render_mode "auto")
WEBGL_ABOVE_ROWS = 1000


def _axes(x_title: str, y_title: str) -> dict:
    return {"template": _TEMPLATE,
            "xaxis": {"anchor": "y", "domain": [0.0, 1.0], "title": {"text": x_title}},
            "yaxis": {"anchor": "x", "domain": [0.0, 1.0], "title": {"text": y_title}}}


def _heatmap(spec: ChartSpec, frame: pl.DataFrame, labels: dict) -> tuple[list, dict]:
    """px.imshow of z, x across, the first y down, on a red-to-green scale (turned round when
    lower is better)."""
    y = spec.y[0]
    wide = frame.pivot(on=spec.x, index=y, values=spec.z, aggregate_function="first", sort_columns=True)
    matrix = wide.drop(y)
    names = {axis: labels.get(column, column) for axis, column in (("x", spec.x), ("y", y), ("z", spec.z))}
    trace = {"coloraxis": "coloraxis", "name": "0", "x": matrix.columns,
             "y": [str(v) for v in wide.get_column(y).to_list()], "z": matrix.to_numpy(), "type": "heatmap",
             "xaxis": "x", "yaxis": "y",
             "hovertemplate": f"{names['x']}: %{{x}}<br>{names['y']}: %{{y}}<br>{names['z']}: %{{z}}<extra></extra>"}
    layout = _axes(names["x"], names["y"])
    layout["yaxis"]["autorange"] = "reversed"
    layout["coloraxis"] = {"colorbar": {"title": {"text": names["z"]}}, "colorscale": _HEATMAP_SCALE,
                           "autocolorscale": False, "reversescale": spec.lower_is_better}
    return [trace], layout


def _xy_traces(spec: ChartSpec, frame: pl.DataFrame, labels: dict) -> tuple[list, dict]:
    """Traces and layout of a line, bar, area or scatter chart: one trace per series (the colour
    column's values in order of first appearance, or each y column in wide form). A number column
    as the colour of bars or points is a colour scale instead, on one trace, as express draws it."""
    y = list(spec.y)
    wide = len(y) > 1
    color = spec.color if spec.color in frame.columns else None
    hover = list(spec.hover)
    if spec.drill and spec.drill not in (spec.x, color, *hover):
        hover.insert(0, spec.drill)  # the clicked point then carries its team
    x = spec.x
    hidden = set()   # hover columns carried but not shown
    if spec.dodge and spec.kind == "scatter":
        frame, x = dodged(frame, spec.x), DODGED_X
        hover = [*dict.fromkeys([*hover, spec.x])]   # hover: the true x
        hidden.add(DODGED_X)
    colours = colour_map(spec, frame, color, labels)
    errors = bool(spec.error_low and spec.error_high and len(y) == 1)
    if errors:
        # the header names the interval's bounds; plotly wants distances from the estimate
        frame = frame.with_columns((pl.col(spec.error_high) - pl.col(y[0])).alias("_error_plus"),
                                   (pl.col(y[0]) - pl.col(spec.error_low)).alias("_error_minus"))
    scale = color if (color and spec.kind in ("bar", "scatter") and frame.schema[color].is_numeric()) else None
    series_by = None if scale else color
    y_column = y[0]
    if wide:   # long form, as express melts it: a trace per y column unless a colour column splits them
        y_column = "value"
        frame = frame.unpivot(on=y, index=[c for c in frame.columns if c not in y],
                              variable_name="variable", value_name=y_column)
        series_by = series_by or (None if scale else "variable")
    label = labels.get
    # the hover's lines, by label: x, y, the hover columns (customdata), a colour scale's value
    shown = {label(x, x): "%{x}", label(y_column, y_column): "%{y}"}
    custom: list[str] = []
    for column in hover:
        if column not in (x, y_column):
            shown[label(column, column)] = f"%{{customdata[{len(custom)}]}}"
            custom.append(column)
    if scale:
        shown[label(scale, scale)] = "%{marker.color}"
    by_label = {text: column for column, text in labels.items()}
    for text in list(shown):
        if by_label.get(text, text) in hidden:
            del shown[text]
    custom = [*dict.fromkeys(custom)]
    trace_type = "bar" if spec.kind == "bar" else "scatter"
    if trace_type == "scatter" and spec.kind != "area" and frame.height > WEBGL_ABOVE_ROWS:
        trace_type = "scattergl"
    barmode = (spec.barmode or "group") if spec.kind == "bar" and (color or wide) else "relative"
    orientation = "h" if (frame.schema[x].is_numeric() and not frame.schema[y_column].is_numeric()) else "v"
    # series: by the colour column, or each y column (wide form); a wide line or area split by colour
    # is drawn a line per colour and y column, named by the colour (express's line_group)
    by = [c for c in (series_by, "variable" if wide and series_by not in (None, "variable")
                      and spec.kind in ("line", "area") else None) if c]
    traces, named = [], set()
    for key, rows, colour_of in _series(frame, by, colours):
        name = str(key[0]) if by else ""
        lines = {label(column, column): str(value) for column, value in zip(by, key)}
        trace = {"name": name, "legendgroup": name, "showlegend": name != "" and name not in named,
                 "type": trace_type, "x": rows.get_column(x).to_numpy(), "y": rows.get_column(y_column).to_numpy(),
                 "xaxis": "x", "yaxis": "y", "hovertemplate": _hover_template(lines | shown)}
        named.add(name)
        if trace_type != "scattergl":
            trace["orientation"] = orientation
        if custom:
            trace["customdata"] = rows.select(custom).to_numpy()
        if errors:
            trace["error_y"] = {"array": rows.get_column("_error_plus").to_numpy(),
                                "arrayminus": rows.get_column("_error_minus").to_numpy()}
        _style(trace, spec, rows.get_column(scale).to_numpy() if scale else colour_of, barmode, name)
        if scale:
            trace["marker"]["coloraxis"] = "coloraxis"
        if wide:   # express names traces by column (or colour); the reader sees the label
            trace["name"] = label(name, name)
        traces.append(trace)
    layout = _axes(label(spec.x, spec.x) if x == DODGED_X else label(x, x), label(y_column, y_column))
    layout["legend"] = {"tracegroupgap": 0}
    if wide:
        layout["legend"]["title"] = {"text": ""}
    elif series_by and traces:
        layout["legend"]["title"] = {"text": label(series_by, series_by)}
    if scale:
        layout["coloraxis"] = {"colorbar": {"title": {"text": label(scale, scale)}}, "colorscale": _NUMBER_SCALE}
    if spec.kind == "bar":
        layout["barmode"] = barmode
    if spec.log_x:
        layout["xaxis"]["type"] = "log"
    return traces, layout


def _hover_template(lines: dict[str, str]) -> str:
    return "<br>".join(f"{text}={value}" for text, value in lines.items()) + "<extra></extra>"


def _series(frame: pl.DataFrame, by: list[str], colours: dict) -> list[tuple[tuple, pl.DataFrame, str]]:
    """(values of the `by` columns, rows, colour) of each series, ordered by each column's values
    in order of first appearance; the colour is the first column's. Rows with a gap in a `by`
    column are left out (as express does), though a gap still takes a colour from the sequence."""
    if not by:
        return [((), frame, _SERIES_COLOURS[0])]
    order = {column: frame.get_column(column).unique(maintain_order=True).to_list() for column in by}
    given = dict(colours)
    for value in order[by[0]]:
        if value not in given:
            given[value] = _SERIES_COLOURS[len(given) % len(_SERIES_COLOURS)]
    if all(len(values) == 1 for values in order.values()):
        key = tuple(values[0] for values in order.values())
        return [(key, frame, given[key[0]])]
    parts = frame.partition_by(by, maintain_order=True, as_dict=True)
    keys = sorted((key for key in parts if None not in key),
                  key=lambda key: [order[column].index(value) for column, value in zip(by, key)])
    return [(key, parts[key], given[key[0]]) for key in keys]


def _style(trace: dict, spec: ChartSpec, colour_of: str, barmode: str, name: str) -> None:
    """A trace's colour and the rest of what express gives each kind."""
    if spec.kind == "bar":
        trace.update(marker={"color": colour_of, "pattern": {"shape": ""}}, textposition="auto")
        if barmode == "group":
            trace.update(alignmentgroup="True", offsetgroup=name)
        if spec.value_labels:
            trace.update(text=[value_label(v) for v in trace["y"]], textposition="outside", cliponaxis=False)
    elif spec.kind == "line":
        trace.update(line={"color": colour_of, "dash": "solid"}, marker={"symbol": "circle"}, mode="lines+markers")
    elif spec.kind == "area":
        trace.update(line={"color": colour_of}, fillpattern={"shape": ""}, marker={"symbol": "circle"},
                     mode="lines", stackgroup="1")
    else:
        marker = {"color": colour_of, "symbol": "circle"}
        if spec.dodge:
            marker["opacity"] = 0.8
        trace.update(marker=marker, mode="markers")


# Goal lines and events as plotly's add_hline, add_vrect, add_vline and add_annotation write them
# on a single plot: a shape and its label each (Marks: shapes, annotations).
Marks = tuple[list[dict], list[dict]]


def goal_marks(spec: ChartSpec, targets: dict[str, float]) -> Marks:
    """A dashed line at each target the spec declares (target: {y column: KPI id}), labelled with
    the KPI and its target; a KPI without a target in targets.yaml draws none. KPIs whose targets
    are the same figure share one line and one label (two labels on one line would overprint)."""
    lines: dict[tuple[float, str], list[str]] = {}
    for kpi_id in dict.fromkeys(spec.targets.values()):
        if (value := targets.get(kpi_id)) is None:
            continue
        kpi = kpis.KPIS[kpi_id]
        lines.setdefault((value, kpi.format(value)), []).append(kpi.label)
    shapes, notes = [], []
    for (value, shown), names in lines.items():
        shapes.append({"line": {"color": "#555555", "dash": "dash", "width": 1}, "type": "line",
                       "x0": 0, "x1": 1, "xref": "x domain", "y0": value, "y1": value, "yref": "y"})
        # at the right: events label their spans at the top left, where a span cut by the
        # period's start begins, and the two overprinted
        notes.append({"font": {"size": 10}, "showarrow": False,
                      "text": safe_text.chart(f"{_listed(names)} target {shown}"),
                      "x": 1, "xanchor": "right", "xref": "x domain", "y": value, "yanchor": "bottom", "yref": "y"})
    return shapes, notes


def add_goal_lines(fig: go.Figure, spec: ChartSpec, targets: dict[str, float]) -> go.Figure:
    """fig with goal_marks(spec, targets) drawn."""
    return _draw_marks(fig, goal_marks(spec, targets))


def _add_marks(layout: dict, marks: Marks) -> None:
    shapes, notes = marks
    if shapes:
        layout["shapes"] = [*layout.get("shapes", ()), *shapes]
    if notes:
        layout["annotations"] = [*layout.get("annotations", ()), *notes]


def _draw_marks(fig: go.Figure, marks: Marks) -> go.Figure:
    shapes, notes = marks
    if shapes:
        fig.layout.shapes = (*fig.layout.shapes, *shapes)
    if notes:
        fig.layout.annotations = (*fig.layout.annotations, *notes)
    return fig


def _listed(names: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def colour(dimension: str, name: str) -> str:
    """The colour of a channel, site or escalation level, the same on every chart."""
    known = PALETTE[dimension]
    return known.get(name) or FALLBACK[zlib.crc32(name.encode("utf-8")) % len(FALLBACK)]


def colour_map(spec: ChartSpec, frame: pl.DataFrame, color: str | None, labels: dict) -> dict[str, str]:
    """color_discrete_map for a chart whose series are channels, sites or escalation levels: by
    the colour column's values, or (wide form) by y columns labelled as levels; else none."""
    if color:
        dimension = next((d for d in (color, html.unescape(labels.get(color, color)).lower()) if d in PALETTE), None)
        if dimension is None:
            return {}
        return {value: colour(dimension, html.unescape(value)) for value in
                frame.get_column(color).cast(pl.String).drop_nulls().unique()}
    names = {y: html.unescape(labels.get(y, y)) for y in spec.y}
    if len(names) > 1 and set(names.values()) <= set(PALETTE["escalation level"]):
        return {y: colour("escalation level", name) for y, name in names.items()}
    return {}


def is_monthly(column: pl.Series) -> bool:
    """A date column holding only first days of months, a month or more apart (one row per month
    and series): a weekly column whose weeks start on a 1st is not monthly."""
    if column.dtype not in (pl.Date, pl.Datetime) or column.drop_nulls().is_empty():
        return False
    days = column.drop_nulls().unique().sort()
    if not (days.dt.truncate("1mo") == days).all():
        return False
    return days.len() == 1 or days.diff().drop_nulls().min().days >= 28


def dodged(frame: pl.DataFrame, x: str) -> pl.DataFrame:
    """frame with DODGED_X: x, with points that share a value set side by side around it, a small
    step apart (DODGE_STEP of the axis's span), so teams with the same authority limit all show."""
    values = frame.get_column(x).drop_nulls()
    span = float(values.max() - values.min()) if values.len() else 0.0
    step = DODGE_STEP * (span or 1.0)
    rank = pl.int_range(pl.len()).over(x)
    return frame.with_columns((pl.col(x) + (rank - (pl.len().over(x) - 1) / 2) * step).alias(DODGED_X))


def value_label(value) -> str:
    """A bar's value as written on it: one decimal, none when it is whole (0 reads "0")."""
    if value is None:
        return ""
    return f"{value:,.1f}".removesuffix(".0")


def table(frame: pl.DataFrame) -> pl.DataFrame:
    """A result table as shown: a gap reads NO_DATA in a number column and blank in a text
    column, never "None". Only columns with gaps become text; the others keep their type."""
    gaps = [c for c in frame.columns if frame.get_column(c).null_count()]
    return frame.with_columns(
        pl.col(c).fill_null("") if frame.schema[c] == pl.String
        else pl.col(c).cast(pl.String).fill_null(NO_DATA) for c in gaps)


def selected_team(points: list[dict], teams) -> str | None:
    """The team a chart click points at: whichever of the point's values is a team name (its x,
    its series, or a hover value), so any chart with a team_name column can drill."""
    for point in points:
        custom = point.get("customdata") or []
        if not isinstance(custom, (list, tuple)):
            custom = [custom]
        for value in (point.get("x"), point.get("y"), point.get("legendgroup"), *custom):
            if isinstance(value, str) and html.unescape(value) in teams:   # drawn escaped (chart_safe)
                return html.unescape(value)
    return None


TIME_AXIS_CHARTS = ("line", "bar", "area", "scatter")


def shows_events(spec: ChartSpec, frame: pl.DataFrame) -> bool:
    """Whether the events table annotates this chart: every chart whose x is a date (a time axis)
    does, unless its header says `annotate_events: false`; a header's `true` forces it."""
    if spec.annotate_events is not None:
        return spec.annotate_events
    return (spec.kind in TIME_AXIS_CHARTS and spec.x in frame.columns
            and frame.schema[spec.x].is_temporal())


def event_marks(events: pl.DataFrame, first=None, last=None) -> Marks:
    """Shades each event's span (or marks its start) on a time axis, titled, so a change in a
    series can be read against what happened (e.g. the empowerment pilot). Spans are clipped to
    [first, last] so an event that began earlier does not stretch the axis."""
    shapes, notes = [], []
    for starts_on, ends_on, title in events.select("starts_on", "ends_on", "title").iter_rows():
        if ends_on is not None and ends_on > starts_on:
            x0 = max(starts_on, first) if first is not None else starts_on
            x1 = min(ends_on, last) if last is not None else ends_on
            shapes.append({"fillcolor": "grey", "line": {"width": 0}, "opacity": 0.12, "type": "rect",
                           "x0": x0, "x1": x1, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain"})
            notes.append({"font": {"size": 10}, "showarrow": False, "text": safe_text.chart(title, 40),
                          "x": min(x0, x1), "xanchor": "left", "xref": "x", "y": 1, "yanchor": "top",
                          "yref": "y domain"})
        elif (first is None or starts_on >= first) and (last is None or starts_on <= last):
            shapes.append({"line": {"color": "grey", "dash": "dot"}, "type": "line", "x0": starts_on,
                           "x1": starts_on, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain"})
            notes.append({"font": {"size": 10}, "showarrow": False, "text": safe_text.chart(title, 40),
                          "x": starts_on, "xanchor": "left", "y": 1, "yanchor": "bottom", "yref": "paper"})
    return shapes, notes


def add_events(fig: go.Figure, events: pl.DataFrame, first=None, last=None) -> go.Figure:
    """fig with event_marks(events, first, last) drawn."""
    return _draw_marks(fig, event_marks(events, first, last))
