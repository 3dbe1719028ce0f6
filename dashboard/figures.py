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
import polars as pl

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


# Figures already drawn, by what they were drawn from. Building a figure through plotly's validated
# objects costs far more than the aggregate query behind it (tens of milliseconds a chart, against a
# few for the query), and the same rows come back on every rerun and for every reader of the same
# view: so each is built once. Bounded, shared by the server's sessions (a lock: Streamlit runs them
# in threads). A cached figure is never changed after it is stored: drawn() returns it for reading.
# The same memory serves whatever else a page builds from its rows in Python (remembered(): the
# attrition page's retention curves, their figure and reading), so one bound holds for all of it.
DRAWN_KEEP = 256
# Figures are built without plotly's template: copying it into every figure is half the cost of
# building one, and the live page draws with Streamlit's theme in its place. A snapshot, which has
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
    """The figure the spec declares. y may name several columns: they share one axis."""
    frame = chart_safe(frame)
    labels = {c: safe_text.chart(text) for c, text in
              {**{c: c.replace("_", " ") for c in frame.columns}, **spec.labels}.items()}
    y = list(spec.y)
    # plotly's own colours named, so that drawing without its template (LIVE_TEMPLATE) keeps them
    common = dict(labels=labels, template=LIVE_TEMPLATE, color_discrete_sequence=px.colors.qualitative.Plotly)
    if spec.kind == "heatmap":
        wide = frame.pivot(on=spec.x, index=y[0], values=spec.z, aggregate_function="first", sort_columns=True)
        index = wide.get_column(y[0]).to_list()
        matrix = wide.drop(y[0])
        fig = px.imshow(matrix.to_numpy(), x=matrix.columns, y=[str(v) for v in index], aspect="auto",
                        labels=dict(x=labels.get(spec.x, spec.x), y=labels.get(y[0], y[0]),
                                    color=labels.get(spec.z, spec.z)), color_continuous_scale="RdYlGn",
                        template=LIVE_TEMPLATE)
        fig.update_coloraxes(reversescale=spec.lower_is_better)
    else:
        color = spec.color if spec.color in frame.columns else None
        y_arg = y[0] if len(y) == 1 else y
        draw = {"line": px.line, "bar": px.bar, "area": px.area, "scatter": px.scatter}[spec.kind]
        extra = {"markers": True} if spec.kind == "line" else {}
        hover = list(spec.hover)
        if spec.drill and spec.drill not in (spec.x, color, *hover):
            hover.insert(0, spec.drill)  # the clicked point then carries its team
        x = spec.x
        if spec.dodge and spec.kind == "scatter":
            frame, x = dodged(frame, spec.x), DODGED_X
            hover = {**dict.fromkeys(hover, True), spec.x: True, DODGED_X: False}  # hover: the true x
            extra["opacity"] = 0.8
        if hover:
            extra["hover_data"] = hover
        if colours := colour_map(spec, frame, color, labels):
            extra["color_discrete_map"] = colours
        if spec.log_x:
            extra["log_x"] = True
        if spec.error_low and spec.error_high and len(y) == 1:
            # the header names the interval's bounds; plotly wants distances from the estimate
            frame = frame.with_columns((pl.col(spec.error_high) - pl.col(y[0])).alias("_error_plus"),
                                       (pl.col(y[0]) - pl.col(spec.error_low)).alias("_error_minus"))
            extra.update(error_y="_error_plus", error_y_minus="_error_minus")
        if spec.kind == "bar" and (color or len(y) > 1):
            extra["barmode"] = spec.barmode or "group"
        fig = draw(frame, x=x, y=y_arg, color=color, **common, **extra)
        if x == DODGED_X:   # plotly would title the axis by the helper column
            fig.update_xaxes(title_text=labels.get(spec.x, spec.x))
        if spec.value_labels and spec.kind == "bar":
            fig.for_each_trace(lambda trace: trace.update(text=[value_label(v) for v in trace.y],
                                                          textposition="outside", cliponaxis=False))
        if len(y) > 1:  # wide form: plotly names traces by column, not by label
            fig.for_each_trace(lambda trace: trace.update(name=labels.get(trace.name, trace.name)))
            fig.update_layout(legend_title_text="")
    fig.update_layout(margin=dict(l=10, r=10, t=30, b=10), height=360,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    if spec.y_title or len(y) > 1:
        fig.update_yaxes(title_text=safe_text.chart(spec.y_title or ""))
    if spec.x_title:
        fig.update_xaxes(title_text=safe_text.chart(spec.x_title))
    if spec.x in frame.columns and is_monthly(frame.get_column(spec.x)):
        fig.update_xaxes(**MONTH_TICKS)
    if spec.targets and spec.kind != "heatmap":
        add_goal_lines(fig, spec, kpis.load_targets(config.targets_path())[0])
    return fig


def add_goal_lines(fig: go.Figure, spec: ChartSpec, targets: dict[str, float]) -> go.Figure:
    """A dashed line at each target the spec declares (target: {y column: KPI id}), labelled with
    the KPI and its target; a KPI without a target in targets.yaml draws none. KPIs whose targets
    are the same figure share one line and one label (two labels on one line would overprint)."""
    lines: dict[tuple[float, str], list[str]] = {}
    for kpi_id in dict.fromkeys(spec.targets.values()):
        if (value := targets.get(kpi_id)) is None:
            continue
        kpi = kpis.KPIS[kpi_id]
        lines.setdefault((value, kpi.format(value)), []).append(kpi.label)
    for (value, shown), names in lines.items():
        fig.add_hline(y=value, line_dash="dash", line_color="#555555", line_width=1,
                      annotation_text=safe_text.chart(f"{_listed(names)} target {shown}"),
                      # at the right: events label their spans at the top left, where a span cut
                      # by the period's start begins, and the two overprinted
                      annotation_position="top right", annotation_font_size=10)
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


def add_events(fig: go.Figure, events: pl.DataFrame, first=None, last=None) -> go.Figure:
    """Shades each event's span (or marks its start) on a time axis, titled, so a change in a
    series can be read against what happened (e.g. the empowerment pilot). Spans are clipped to
    [first, last] so an event that began earlier does not stretch the axis."""
    for starts_on, ends_on, title in events.select("starts_on", "ends_on", "title").iter_rows():
        if ends_on is not None and ends_on > starts_on:
            x0 = max(starts_on, first) if first is not None else starts_on
            x1 = min(ends_on, last) if last is not None else ends_on
            fig.add_vrect(x0=x0, x1=x1, fillcolor="grey", opacity=0.12, line_width=0,
                          annotation_text=safe_text.chart(title, 40), annotation_position="top left",
                          annotation_font_size=10)
        elif (first is None or starts_on >= first) and (last is None or starts_on <= last):
            fig.add_vline(x=starts_on, line_dash="dot", line_color="grey")
            fig.add_annotation(x=starts_on, y=1, yref="paper", text=safe_text.chart(title, 40), showarrow=False,
                               xanchor="left", yanchor="bottom", font_size=10)
    return fig
