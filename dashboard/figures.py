"""Plotly figures from a query's header and its result frame: the header's chart kind and axes
are all a chart needs (as in Evidence), so an analyst never writes plotting code."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl

from dashboard.catalogue import Query

PERCENT_HINTS = ("_pct", "rate", "csat", "service_level", "fcr", "satisfaction", "within")


def build(query: Query, frame: pl.DataFrame) -> go.Figure:
    """The figure the header declares. y may name several columns: they share one axis."""
    labels = {**{c: c.replace("_", " ") for c in frame.columns}, **query.labels}
    y = list(query.y)
    common = dict(labels=labels)
    if query.chart == "heatmap":
        wide = frame.pivot(on=query.x, index=y[0], values=query.z, aggregate_function="first", sort_columns=True)
        index = wide.get_column(y[0]).to_list()
        matrix = wide.drop(y[0])
        fig = px.imshow(matrix.to_numpy(), x=matrix.columns, y=[str(v) for v in index], aspect="auto",
                        labels=dict(x=labels.get(query.x, query.x), y=labels.get(y[0], y[0]),
                                    color=labels.get(query.z, query.z)), color_continuous_scale="RdYlGn")
    else:
        color = query.color if query.color in frame.columns else None
        y_arg = y[0] if len(y) == 1 else y
        draw = {"line": px.line, "bar": px.bar, "area": px.area, "scatter": px.scatter}[query.chart]
        extra = {"markers": True} if query.chart == "line" else {}
        if query.chart == "bar" and color:
            extra["barmode"] = "group"
        fig = draw(frame, x=query.x, y=y_arg, color=color, **common, **extra)
        if len(y) > 1:  # wide form: plotly names traces by column, not by label
            fig.for_each_trace(lambda trace: trace.update(name=labels.get(trace.name, trace.name)))
            fig.update_layout(legend_title_text="")
    fig.update_layout(margin=dict(l=10, r=10, t=30, b=10), height=360,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    if query.y_title or len(y) > 1:
        fig.update_yaxes(title_text=query.y_title or "")
    if query.x_title:
        fig.update_xaxes(title_text=query.x_title)
    return fig
