"""figures.build writes each figure as a plain dict and wraps it once without plotly's validation
(issue 13: drawing through plotly express's validated objects was most of a page's cold draw).
It must draw exactly what express drew: tests/_reference_figures.py keeps the express build, and
every figure is compared with it here:

- every query file whose chart kind is drawn, on the session's demo store, at three filter scopes;
- every page's sections, drawn whole on a recording canvas (their own ChartSpecs: the heatmap view
  of wait times at each measure, the milestone bars; events shaded by figures.drawn), once with the
  new build and once with the reference in its place;
- the lab's quick charts, each kind with and without a colour column;
- frames the shipped queries do not give: no rows, gaps in the colour column, one colour, a number
  column as colour (express draws a colour scale for bars and points), several y split by colour,
  a number x against a text y, a date x. A spec express could not draw at all (an area with
  interval bounds: px.area has no error bars, and raised) is left out; build draws its bars.

What is compared is each figure's to_plotly_json(): the traces in order and the layout, every
value and every array's dtype. The one difference allowed is the order of keys within a dict (a
JSON object is unordered: plotly.js reads it by key, so the order cannot change what is drawn);
list order, including the order of traces, shapes and annotations, must be equal. Arrays are
compared as their values with NaN equal to NaN (in a figure NaN is a gap, drawn the same either
way), plus their dtype."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import plotly.io as pio
import polars as pl
import pytest
import _reference_figures as express
from conftest import MARCH_TO_MAY
from test_sections import RecordingCanvas, page_data

from dashboard import catalogue, chartspec, config, figures, lab, layout

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def plain(value):
    """A figure's JSON with dict key order left out and arrays as (dtype, values), NaN as None."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, plain(value.tolist()))
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def assert_same_figure(new, reference, where) -> None:
    new_json, reference_json = new.to_plotly_json(), reference.to_plotly_json()
    assert len(new_json["data"]) == len(reference_json["data"]), where
    for i, (ours, theirs) in enumerate(zip(new_json["data"], reference_json["data"])):
        assert plain(ours) == plain(theirs), (where, "trace", i)
    assert plain(new_json["layout"]) == plain(reference_json["layout"]), (where, "layout")
    # and what reaches the browser (Streamlit sends plotly.io.to_json of the figure) reads the same
    assert plain(json.loads(pio.to_json(new, validate=False))) == plain(json.loads(pio.to_json(reference, validate=False)))


@pytest.fixture(scope="module")
def scopes(con) -> list[tuple[tuple[dt.date, dt.date], dict]]:
    """The whole of 2025; March to May for one team; June for one site and the phone channel."""
    team = con.sql("select min(team_name) from teams").fetchall()[0][0]
    site = con.sql("select max(site) from teams").fetchall()[0][0]
    return [(YEAR, {}), (MARCH_TO_MAY, {"team": team}),
            ((dt.date(2025, 6, 1), dt.date(2025, 6, 30)), {"site": site, "channel": "phone"})]


CHARTED = [q for q in catalogue.load(config.queries_dir()).queries if q.spec.kind in chartspec.NEEDS_AXES]


def test_every_drawn_kind_of_query_file_is_compared():
    assert {q.spec.kind for q in CHARTED} >= {"line", "bar", "scatter"}
    assert len(CHARTED) >= 20


@pytest.mark.parametrize("query", CHARTED, ids=lambda q: q.name)
def test_a_query_files_figure_equals_plotly_express(con, scopes, query):
    drawn = 0
    for period, scope in scopes:
        data = page_data(con, query.page or "queries", period, **scope)
        frame = data.runner(query, data.bound())
        new, reference = figures.build(query.spec, frame), express.build(query.spec, frame)
        assert_same_figure(new, reference, (query.name, period, scope))
        drawn += bool(new.data)
    assert drawn, f"{query.name} drew no trace at any scope: nothing was compared"


class PageCanvas(RecordingCanvas):
    def group(self, text: str) -> None:   # the queries page's tag groups
        self._record("group", text=text)


def remembering(data):
    """data with its runner answering each query once: a page drawn twice then draws the same
    rows (DuckDB's parallel sums may differ in the last bit from one run to the next)."""
    answers, run = {}, data.runner

    def runner(query, values):
        key = (query.name, repr(sorted(values.items())))
        if key not in answers:
            answers[key] = run(query, values)
        return answers[key]
    data.runner = runner
    return data


def page_figures(data, path: str, given: dict) -> dict[str, object]:
    canvas = PageCanvas(data, given)
    for section in layout.sections(path):
        section(canvas)
    return {f"{chart['where']} {chart['key']}": chart["figure"] for chart in canvas.of("chart")}


PAGES = [(path, given) for path in layout.drawable_paths()
         for given in ([{"measure": m} for m in ("service_level", "asa", "abandon_rate")] if path == "wait-times"
                       else [{}])]


@pytest.mark.parametrize("path, given", PAGES, ids=str)
def test_a_pages_sections_draw_what_plotly_express_drew(con, scopes, monkeypatch, path, given):
    compared = 0
    for period, scope in scopes:
        data = remembering(page_data(con, path, period, **scope))
        figures._drawn.clear()
        new = page_figures(data, path, given)
        with monkeypatch.context() as patched:
            patched.setattr(figures, "build", express.build)
            patched.setattr(figures, "drawn", express.drawn)
            figures._drawn.clear()
            reference = page_figures(data, path, given)
        figures._drawn.clear()
        assert new.keys() == reference.keys()
        for key in new:
            assert_same_figure(new[key], reference[key], (path, given, period, scope, key))
            compared += 1
    assert compared, f"{path} drew no chart"


def test_the_labs_quick_charts_equal_plotly_express(con):
    frame = pl.DataFrame({"team": ["A <b>", "B", "C", "A <b>"], "channel": ["phone", "chat", "email", "chat"],
                          "csat": [80.0, 70.5, None, 75.0], "n": [3, 4, 5, 6]})
    for kind in lab.QUICK_CHARTS:
        for x, y, color in (("team", ["csat"], "channel"), ("team", ["csat", "n"], ""), ("n", ["csat"], "team")):
            spec = lab.quick_chart(kind, x, y, color)
            assert_same_figure(figures.build(spec, frame), express.build(spec, frame), (kind, x, y, color))


EDGE_FRAMES = {
    "no rows": pl.DataFrame(schema={"team": pl.String, "csat": pl.Float64, "n": pl.Int64, "channel": pl.String}),
    "a gap in the colour": pl.DataFrame({"team": ["A", "B", "C"], "csat": [1.0, 2.0, 3.0], "n": [1, 2, 3],
                                         "channel": ["phone", None, "chat"]}),
    "colour all gaps": pl.DataFrame({"team": ["A", "B"], "csat": [1.0, None], "n": [1, None], "channel": [None, None]},
                                    schema={"team": pl.String, "csat": pl.Float64, "n": pl.Int64, "channel": pl.String}),
    "one colour": pl.DataFrame({"team": ["A", "B"], "csat": [1.0, 2.0], "n": [1, 2], "channel": ["phone", "phone"]}),
    "a number as colour": pl.DataFrame({"team": ["A", "B"], "csat": [1.0, 2.0], "n": [1, 2], "channel": [3, 4]}),
    "a date x": pl.DataFrame({"team": [dt.date(2025, 1, 1), dt.date(2025, 2, 1)], "csat": [1.0, 2.0], "n": [1, 2],
                              "channel": ["phone", "x <i>"]}),
}


def edge_specs(kind: str) -> list[chartspec.ChartSpec]:
    spec = chartspec.ChartSpec(kind=kind, x="team", y=("csat",))
    specs = [spec.but(color="channel", hover=("n",)), spec.but(y=("csat", "n"), color="channel"),
             spec.but(y=("csat", "n")), spec.but(x="n", y=("channel",)),
             spec.but(x="n", dodge=True, color="channel", hover=("team",)),
             spec.but(value_labels=True, barmode="stack", color="channel")]
    if kind != "area":
        specs.append(spec.but(error_low="csat", error_high="csat", drill="team"))
    return specs


@pytest.mark.parametrize("frame_name", EDGE_FRAMES)
@pytest.mark.parametrize("kind", lab.QUICK_CHARTS)
def test_frames_no_shipped_query_gives_equal_plotly_express(kind, frame_name):
    frame = EDGE_FRAMES[frame_name]
    for spec in edge_specs(kind):
        assert_same_figure(figures.build(spec, frame), express.build(spec, frame), spec)
    heatmap = chartspec.ChartSpec(kind="heatmap", x="team", y=("channel",), z="csat", lower_is_better=True)
    if frame.height:
        assert_same_figure(figures.build(heatmap, frame), express.build(heatmap, frame), heatmap)


def test_a_large_scatter_is_drawn_by_webgl_as_express_did():
    """px.scatter and px.line switch to WebGL traces above 1000 rows."""
    frame = pl.DataFrame({"x": [float(i) for i in range(1001)], "y": [1.0] * 1001, "site": ["Leeds", "Cork"] * 500 + ["Cork"]})
    for kind in ("scatter", "line"):
        spec = chartspec.ChartSpec(kind=kind, x="x", y=("y",), color="site", log_x=True)
        new = figures.build(spec, frame)
        assert {trace.type for trace in new.data} == {"scattergl"}
        assert_same_figure(new, express.build(spec, frame), kind)


def test_the_reference_is_what_it_claims():
    """The comparison can fail: a figure differing in one label is told apart."""
    spec = chartspec.ChartSpec(kind="bar", x="team", y=("n",))
    frame = pl.DataFrame({"team": ["A", "B"], "n": [1, 2]})
    with pytest.raises(AssertionError):
        assert_same_figure(figures.build(spec.but(labels={"n": "count"}), frame), express.build(spec, frame), "x")


def test_goal_lines_and_events_equal_plotlys_own_shapes():
    """Events outside the span, cut by it, within it, and marked by their start alone; goal lines."""
    spec = chartspec.ChartSpec(kind="line", x="week", y=("csat", "service_level"), targets={"csat": "csat",
                                                                                            "service_level": "service_level"})
    weeks = pl.DataFrame({"week": [dt.date(2025, 3, 3), dt.date(2025, 3, 10)], "csat": [80.0, 82.5],
                          "service_level": [70.0, 90.0]})
    events = pl.DataFrame({"starts_on": [dt.date(2025, 2, 1), dt.date(2025, 3, 5), dt.date(2025, 3, 8), dt.date(2025, 1, 1),
                                         dt.date(2025, 4, 2)],
                           "ends_on": [dt.date(2025, 3, 4), None, dt.date(2025, 3, 9), dt.date(2025, 1, 9), None],
                           "title": ["Cut <b>by</b> the start", "Pilot", "Within", "Before", "After"]})
    first, last = dt.date(2025, 3, 1), dt.date(2025, 3, 31)
    for span in ((first, last), (None, None)):
        figures._drawn.clear()
        new = figures.drawn(spec, weeks, events, *span)
        assert len(new.layout.shapes) >= 4
        assert_same_figure(new, express.drawn(spec, weeks, events, *span), span)
        assert_same_figure(figures.add_events(figures.build(spec, weeks), events, *span),
                           express.drawn(spec, weeks, events, *span), span)
    import plotly.graph_objects as go
    assert_same_figure(figures.add_events(go.Figure(), events), express.add_events(go.Figure(), events), "empty")
