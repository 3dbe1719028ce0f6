"""Figures follow the header: kind, axes, labelled series."""

from __future__ import annotations

import polars as pl
import pytest

from dashboard import catalogue, config, figures


def test_wide_series_are_named_by_their_labels():
    query = catalogue.load(config.queries_dir()).get("overview_customer_trend")
    frame = pl.DataFrame({"week": ["2025-03-03", "2025-03-10"], "csat": [80.0, 78.0], "service_level": [85.0, 84.0],
                          "abandon_rate": [5.0, 6.0]})
    fig = figures.build(query, frame)
    assert [t.name for t in fig.data] == [query.labels[c] for c in query.y]
    assert list(fig.data[0].y) == [80.0, 78.0]


@pytest.mark.parametrize("kind, trace_type", [("bar", "bar"), ("line", "scatter"), ("scatter", "scatter")])
def test_kind_and_colour(kind, trace_type):
    query = catalogue.Query(name="q", path=config.queries_dir(), title="t", description="d", chart=kind, sql="",
                            x="team", y=("csat",), color="site")
    frame = pl.DataFrame({"team": ["A", "B", "C"], "csat": [80.0, 70.0, 75.0], "site": ["X", "Y", "X"]})
    fig = figures.build(query, frame)
    assert {t.type for t in fig.data} == {trace_type}
    assert sorted(t.name for t in fig.data) == ["X", "Y"]


def test_heatmap_pivots_x_against_y():
    query = catalogue.Query(name="q", path=config.queries_dir(), title="t", description="d", chart="heatmap", sql="",
                            x="hour", y=("weekday",), z="asa")
    frame = pl.DataFrame({"hour": [9, 10, 9, 10], "weekday": ["Mon", "Mon", "Tue", "Tue"], "asa": [1.0, 2.0, 3.0, 4.0]})
    fig = figures.build(query, frame)
    assert fig.data[0].z.tolist() == [[1.0, 2.0], [3.0, 4.0]]
