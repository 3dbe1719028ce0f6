"""The figures as plotly express drew them before figures.build wrote them as plain dicts (issue
13: building through express's validated objects was most of a page's cold draw). Kept only as
the reference tests/test_figures_equal.py compares figures.build against: the rules it applies
(escaping, labels, colours, dodging, value labels, month ticks, goal lines) are figures' own,
imported, so only the drawing differs."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl

from dashboard import config, kpis, safe_text
from dashboard.chartspec import ChartSpec
from dashboard.figures import (DODGED_X, LIVE_TEMPLATE, MONTH_TICKS, _listed, chart_safe, colour_map, dodged,
                               is_monthly, value_label)


def build(spec: ChartSpec, frame: pl.DataFrame) -> go.Figure:
    """figures.build as it was at 93475e5, drawn by plotly express."""
    frame = chart_safe(frame)
    labels = {c: safe_text.chart(text) for c, text in
              {**{c: c.replace("_", " ") for c in frame.columns}, **spec.labels}.items()}
    y = list(spec.y)
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
            hover.insert(0, spec.drill)
        x = spec.x
        if spec.dodge and spec.kind == "scatter":
            frame, x = dodged(frame, spec.x), DODGED_X
            hover = {**dict.fromkeys(hover, True), spec.x: True, DODGED_X: False}
            extra["opacity"] = 0.8
        if hover:
            extra["hover_data"] = hover
        if colours := colour_map(spec, frame, color, labels):
            extra["color_discrete_map"] = colours
        if spec.log_x:
            extra["log_x"] = True
        if spec.error_low and spec.error_high and len(y) == 1:
            frame = frame.with_columns((pl.col(spec.error_high) - pl.col(y[0])).alias("_error_plus"),
                                       (pl.col(y[0]) - pl.col(spec.error_low)).alias("_error_minus"))
            extra.update(error_y="_error_plus", error_y_minus="_error_minus")
        if spec.kind == "bar" and (color or len(y) > 1):
            extra["barmode"] = spec.barmode or "group"
        fig = draw(frame, x=x, y=y_arg, color=color, **common, **extra)
        if x == DODGED_X:
            fig.update_xaxes(title_text=labels.get(spec.x, spec.x))
        if spec.value_labels and spec.kind == "bar":
            fig.for_each_trace(lambda trace: trace.update(text=[value_label(v) for v in trace.y],
                                                          textposition="outside", cliponaxis=False))
        if len(y) > 1:
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
    """figures.add_goal_lines as it was at 93475e5: plotly's add_hline."""
    lines: dict[tuple[float, str], list[str]] = {}
    for kpi_id in dict.fromkeys(spec.targets.values()):
        if (value := targets.get(kpi_id)) is None:
            continue
        kpi = kpis.KPIS[kpi_id]
        lines.setdefault((value, kpi.format(value)), []).append(kpi.label)
    for (value, shown), names in lines.items():
        fig.add_hline(y=value, line_dash="dash", line_color="#555555", line_width=1,
                      annotation_text=safe_text.chart(f"{_listed(names)} target {shown}"),
                      annotation_position="top right", annotation_font_size=10)
    return fig


def add_events(fig: go.Figure, events: pl.DataFrame, first=None, last=None) -> go.Figure:
    """figures.add_events as it was at 93475e5: plotly's add_vrect, add_vline and add_annotation."""
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


def drawn(spec: ChartSpec, frame: pl.DataFrame, events: pl.DataFrame | None = None, first=None, last=None) -> go.Figure:
    """figures.drawn as it drew at 93475e5 (without its memory): build, then the events."""
    figure = build(spec, frame)
    return figure if events is None else add_events(figure, events, first, last)
