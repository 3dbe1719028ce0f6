"""Figures follow the header: kind, axes, labelled series."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dashboard import catalogue, config, figures, nodata
from dashboard.chartspec import ChartSpec


def test_wide_series_are_named_by_their_labels():
    query = catalogue.load(config.queries_dir()).get("overview_customer_trend")
    frame = pl.DataFrame({"week": ["2025-03-03", "2025-03-10"], "csat": [80.0, 78.0], "service_level": [85.0, 84.0],
                          "abandon_rate": [5.0, 6.0]})
    fig = figures.build(query.spec, frame)
    assert [t.name for t in fig.data] == [query.spec.labels[c] for c in query.spec.y]
    assert list(fig.data[0].y) == [80.0, 78.0]


@pytest.mark.parametrize("kind, trace_type", [("bar", "bar"), ("line", "scatter"), ("scatter", "scatter")])
def test_kind_and_colour(kind, trace_type):
    spec = ChartSpec(kind=kind, x="team", y=("csat",), color="site")
    frame = pl.DataFrame({"team": ["A", "B", "C"], "csat": [80.0, 70.0, 75.0], "site": ["X", "Y", "X"]})
    fig = figures.build(spec, frame)
    assert {t.type for t in fig.data} == {trace_type}
    assert sorted(t.name for t in fig.data) == ["X", "Y"]


def test_heatmap_pivots_x_against_y():
    spec = ChartSpec(kind="heatmap", x="hour", y=("weekday",), z="asa")
    frame = pl.DataFrame({"hour": [9, 10, 9, 10], "weekday": ["Mon", "Mon", "Tue", "Tue"], "asa": [1.0, 2.0, 3.0, 4.0]})
    fig = figures.build(spec, frame)
    assert fig.data[0].z.tolist() == [[1.0, 2.0], [3.0, 4.0]]


# ---- chart defects (issue 11, item 9) ----------------------------------------------------------

def shipped(name: str) -> catalogue.Query:
    return catalogue.load(config.queries_dir()).get(name)


def first_days(*months: tuple[int, int]) -> list[dt.date]:
    return [dt.date(year, month, 1) for year, month in months]


@pytest.mark.parametrize("name", ["customer_vs_agent_monthly", "overview_agent_trend"])
def test_a_monthly_x_is_labelled_by_month_not_by_week(name):
    """Plotly labelled monthly points at weekly ticks: December's point sat over "Nov 30"."""
    query = shipped(name)
    months = first_days((2025, 10), (2025, 11), (2025, 12))
    frame = pl.DataFrame({query.spec.x: months, **{y: [50.0, 60.0, 70.0] for y in query.spec.y},
                          **{column: [10, 12, 9] for column in query.spec.hover}})
    axis = figures.build(query.spec, frame).layout.xaxis
    assert (axis.dtick, axis.tickformat, axis.hoverformat) == ("M1", "%b %Y", "%b %Y")


def test_a_weekly_x_keeps_plotlys_own_ticks():
    query = shipped("overview_customer_trend")
    weeks = [dt.date(2025, 9, 1) + dt.timedelta(weeks=i) for i in range(6)]   # the first one falls on a 1st
    frame = pl.DataFrame({"week": weeks, **{y: [80.0] * 6 for y in query.spec.y}})
    axis = figures.build(query.spec, frame).layout.xaxis
    assert axis.dtick is None and axis.tickformat is None


def test_exception_levels_by_team_stack_to_100_percent():
    query = shipped("escalations_level_by_team")
    counts = {"Aurora": (6, 3, 1, 0), "Birch": (1, 1, 1, 1)}   # decided by agent, lead, manager, senior
    frame = pl.DataFrame([{"team_name": team, "authority_limit": 50.0, "exception_requests": sum(c),
                           **{y: 100 * k / sum(c) for y, k in zip(query.spec.y, c)}} for team, c in counts.items()])
    fig = figures.build(query.spec, frame)
    assert fig.layout.barmode in ("stack", "relative")
    for i, team in enumerate(counts):
        assert sum(trace.y[i] for trace in fig.data) == pytest.approx(100)
        assert [trace.y[i] for trace in fig.data] == [100 * k / sum(counts[team]) for k in counts[team]]


def test_teams_with_the_same_authority_limit_stay_visible():
    query = shipped("escalations_rate_by_authority")
    frame = pl.DataFrame({"team_name": ["Aurora", "Birch", "Cedar", "Dune"], "site": ["Leeds"] * 4,
                          "authority_limit": [50.0, 50.0, 50.0, 200.0], "exception_requests": [100] * 4,
                          "escalated": [74, 74, 75, 20], "escalated_pct": [74.0, 74.0, 75.0, 20.0],
                          "escalated_low_pct": [65.0, 65.0, 66.0, 13.0], "escalated_high_pct": [81.0, 81.0, 82.0, 29.0]})
    fig = figures.build(query.spec, frame)
    points = [(x, y) for trace in fig.data for x, y in zip(trace.x, trace.y)]
    assert len(set(points)) == 4                      # no point sits on another
    xs = sorted(x for x, _ in points)
    assert all(abs(x - 50) < 0.05 * 150 for x in xs[:3]) and xs[3] == pytest.approx(200, abs=0.05 * 150)
    # the hover shows each team's true limit, not the shifted position
    custom = [row for trace in fig.data for row in trace.customdata]
    assert sorted((row[list(query.spec.hover).index("team_name")], row[-1]) for row in custom) == [
        ("Aurora", 50.0), ("Birch", 50.0), ("Cedar", 50.0), ("Dune", 200.0)]
    assert "Authority limit" in fig.data[0].hovertemplate


@pytest.mark.parametrize("name, x", [("attrition_by_team", "team_name"), ("attrition_by_site", "site")])
def test_attrition_bars_carry_their_value_so_zero_leavers_reads_0(name, x):
    query = shipped(name)
    frame = pl.DataFrame({"site": ["Leeds", "Cork", "Lisbon"], x: ["Leeds", "Cork", "Lisbon"], "leavers": [16, 1, 0],
                          "average_headcount": [10.9, 10.8, 11.0], "months": [12] * 3,
                          "attrition_annualised_pct": [148.4018, 9.52381, 0.0]})
    (trace,) = figures.build(query.spec, frame).data
    assert list(trace.text) == ["148.4", "9.5", "0"]
    assert trace.textposition == "outside"


def test_a_table_prints_no_none():
    frame = pl.DataFrame({"Touchpoint": ["Billing", "Complaint"], "Owning unit": ["Billing", None],
                          "Attainment %": [70.7, None], "Survey answers": [3077, 0]})
    shown = figures.table(frame)
    assert shown.null_count().row(0) == (0, 0, 0, 0)
    assert shown.row(1) == ("Complaint", "", "no data", 0)
    assert shown.row(0) == ("Billing", "Billing", "70.7", 3077)
    assert shown.schema["Survey answers"] == pl.Int64     # a column without gaps stays a number


# ---- one palette (issue 11, item 8) -------------------------------------------------------------

def trace_colours(fig) -> dict[str, str]:
    return {trace.name: trace.marker.color or trace.line.color for trace in fig.data}


def test_a_channel_keeps_its_colour_across_two_pages():
    by_month = shipped("catalogue_contacts_by_channel")                 # the queries page
    by_wait = shipped("wait_times_abandon_by_wait")                     # wait times
    assert by_wait.page == "wait-times" and by_month.page is None
    months = pl.DataFrame({"month": first_days((2025, 1), (2025, 1), (2025, 1)), "channel": ["phone", "chat", "messaging"],
                           "contacts": [10, 20, 30], "abandoned": [1, 2, 3]})
    waits = pl.DataFrame({"wait_bucket": ["0-20 s"] * 3, "series": ["All channels", "messaging", "phone"],
                          "abandon_rate": [5.0, 6.0, 7.0], "abandon_rate_low": [4.0] * 3, "abandon_rate_high": [8.0] * 3,
                          "offered": [100] * 3, "abandoned": [5] * 3})
    first, second = trace_colours(figures.build(by_month.spec, months)), trace_colours(figures.build(by_wait.spec, waits))
    assert first["phone"] == second["phone"] and first["messaging"] == second["messaging"]
    assert len({first["phone"], first["chat"], first["messaging"], second["All channels"]}) == 4


def test_a_site_keeps_its_colour_across_attrition_and_escalations_and_a_new_site_gets_a_stable_one():
    trend, authority = shipped("attrition_site_trend"), shipped("escalations_rate_by_authority")
    sites = ["Leeds", "Cork", "Nairobi"]
    monthly = pl.DataFrame({"month_label": ["Jan 2025"] * 3, "site": sites, "monthly_attrition_pct": [1.0, 2.0, 3.0],
                            "leavers": [1, 2, 3], "average_headcount": [10.0] * 3})
    teams = pl.DataFrame({"team_name": ["A", "B"], "site": ["Nairobi", "Leeds"], "authority_limit": [50.0, 100.0],
                          "exception_requests": [10, 10], "escalated": [5, 3], "escalated_pct": [50.0, 30.0],
                          "escalated_low_pct": [20.0, 10.0], "escalated_high_pct": [80.0, 60.0]})
    first, second = trace_colours(figures.build(trend.spec, monthly)), trace_colours(figures.build(authority.spec, teams))
    assert first["Leeds"] == second["Leeds"] == figures.PALETTE["site"]["Leeds"]
    assert first["Nairobi"] == second["Nairobi"] in figures.FALLBACK    # not listed: the same wherever it shows
    assert len(set(first.values())) == 3


def test_escalation_levels_have_one_colour_each_by_team_and_by_month():
    by_team, by_month = shipped("escalations_level_by_team"), shipped("escalations_level_by_month")
    shares = {y: [25.0] for y in by_team.spec.y}
    first = trace_colours(figures.build(by_team.spec, pl.DataFrame({"team_name": ["A"], "authority_limit": [50.0],
                                                                "exception_requests": [4], **shares})))
    second = trace_colours(figures.build(by_month.spec, pl.DataFrame({"month_label": ["Jan 2025"], "exception_requests": [4],
                                                                  **shares})))
    assert first == second == figures.PALETTE["escalation level"]


# ---- goal lines (issue 11, item 8) --------------------------------------------------------------

def goal_lines(fig) -> dict[str, float]:
    lines = [shape.y0 for shape in fig.layout.shapes if shape.line.dash == "dash"]
    texts = [note.text for note in fig.layout.annotations]
    return dict(zip(texts, lines))


def test_which_charts_draw_which_goal_lines():
    declared = {q.name: set(q.spec.targets.values()) for q in catalogue.load(config.queries_dir()).queries if q.spec.targets}
    assert declared == {
        "overview_customer_trend": {"csat", "service_level", "abandon_rate"},
        "overview_agent_trend": {"agent_satisfaction", "manager_response_72h", "attrition_annualised"},
        "management_requests_trend": {"manager_response_72h"},
        "attrition_by_team": {"attrition_annualised"}, "attrition_by_site": {"attrition_annualised"},
        "customer_vs_agent_monthly": {"csat", "agent_satisfaction"},
        "escalations_weekly_rate": {"escalation_rate"}, "teams_csat_by_team": {"csat"},
    }


def test_weekly_service_level_is_drawn_against_80_and_72_h_answers_against_90(tmp_path, monkeypatch):
    weekly = shipped("overview_customer_trend")
    weeks = [dt.date(2025, 3, 3), dt.date(2025, 3, 10)]
    fig = figures.build(weekly.spec, pl.DataFrame({"week": weeks, **{y: [80.0, 78.0] for y in weekly.spec.y}}))
    # as targets.yaml has them; two targets of 80 % share one line and one label (two would overprint)
    assert goal_lines(fig) == {"CSAT and Service level (20 s) target 80.0 %": 80.0, "Abandon rate target 5.0 %": 5.0}
    answers = shipped("management_requests_trend")
    frame = pl.DataFrame({"month": ["Jan 2025"], "within_72h_pct": [85.0], "within_72h_low": [80.0],
                          "within_72h_high": [90.0], "requests": [100], "answered_within_72h": [85]})
    assert goal_lines(figures.build(answers.spec, frame)) == {"Manager response within 72 h target 90.0 %": 90.0}
    # the number comes from targets.yaml: change it and the line moves; remove it and there is none
    targets = tmp_path / "targets.yaml"
    targets.write_text("manager_response_72h: 95\n")
    monkeypatch.setattr(config, "targets_path", lambda: targets)
    assert list(goal_lines(figures.build(answers.spec, frame)).values()) == [95.0]
    targets.write_text("csat: 80\n")
    assert goal_lines(figures.build(answers.spec, frame)) == {}


def test_a_target_naming_an_unknown_kpi_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "bad_target.sql"
    path.write_text("-- title: t\n-- description: d\n-- chart: line\n-- x: week\n-- y: sl\n-- target: service_levle\n"
                    "select 1 as week, 2 as sl\n")
    with pytest.raises(catalogue.QueryFileError) as error:
        catalogue.parse_query_file(path)
    assert error.value.location == "bad_target.sql:6" and "'service_levle' is not a KPI id" in error.value.message
    path.write_text(path.read_text().replace("target: service_levle", "target: {asa: asa}"))
    with pytest.raises(catalogue.QueryFileError, match="not one of the chart's y"):
        catalogue.parse_query_file(path)


# ---- chart specs (issue 11, item 3) --------------------------------------------------------------

def test_a_page_asks_for_another_view_of_a_query_without_changing_the_query():
    query = shipped("wait_times_by_hour")
    before = query.spec
    view = query.spec.but(kind="heatmap", z="asa", lower_is_better=True)
    frame = pl.DataFrame({"hour": [9, 10, 9], "weekday": ["Monday", "Monday", "Tuesday"],
                          "asa": [12.0, 30.0, 8.0], "service_level": [90.0, 70.0, 95.0]})
    fig = figures.build(view, frame)
    assert fig.data[0].z.tolist()[0] == [12.0, 30.0], "the view draws the measure it asked for"
    assert fig.layout.coloraxis.reversescale, "a short wait is green"
    assert query.spec is before and (before.kind, before.z) == ("data", "service_level")
    assert not figures.build(query.spec.but(kind="heatmap"), frame).layout.coloraxis.reversescale


def test_a_heatmap_with_no_value_in_any_cell_is_not_drawn_empty():
    view = shipped("wait_times_by_hour").spec.but(kind="heatmap", z="asa")
    frame = pl.DataFrame({"hour": [9], "weekday": ["Monday"], "asa": [None], "service_level": [90.0]},
                         schema_overrides={"asa": pl.Float64})
    assert nodata.nothing_to_plot(view, frame)
    assert not nodata.nothing_to_plot(view.but(z="service_level"), frame)


def test_targets_of_the_same_figure_share_a_line_and_different_ones_do_not(tmp_path, monkeypatch):
    weekly = shipped("overview_customer_trend")
    frame = pl.DataFrame({"week": [dt.date(2025, 3, 3)], **{y: [80.0] for y in weekly.spec.y}})
    targets = tmp_path / "targets.yaml"
    monkeypatch.setattr(config, "targets_path", lambda: targets)
    targets.write_text("csat: 85\nservice_level: 80\n")
    assert goal_lines(figures.build(weekly.spec, frame)) == {"CSAT target 85.0 %": 85.0,
                                                             "Service level (20 s) target 80.0 %": 80.0}
    targets.write_text("csat: 80\nservice_level: 80\nabandon_rate: 80\n")
    assert goal_lines(figures.build(weekly.spec, frame)) == {
        "CSAT, Service level (20 s) and Abandon rate target 80.0 %": 80.0}


def test_a_figure_is_built_once_per_spec_rows_and_events_and_equals_a_fresh_build():
    import plotly.io as pio

    spec = ChartSpec(kind="line", x="week", y=("csat",), annotate_events=True)
    weeks = pl.DataFrame({"week": [dt.date(2025, 3, 3), dt.date(2025, 3, 10)], "csat": [80.0, 82.5]})
    events = pl.DataFrame({"starts_on": [dt.date(2025, 3, 5)], "ends_on": [None], "title": ["Pilot"]},
                          schema={"starts_on": pl.Date, "ends_on": pl.Date, "title": pl.String})
    first, last = dt.date(2025, 3, 1), dt.date(2025, 3, 31)
    figures._drawn.clear()
    once = figures.drawn(spec, weeks, events, first, last)
    assert figures.drawn(spec, weeks.clone(), events, first, last) is once   # equal rows: the same figure
    fresh = figures.add_events(figures.build(spec, weeks), events, first, last)
    assert pio.to_json(once, validate=False) == pio.to_json(fresh, validate=False)
    # any change of rows, events, span or spec is another figure
    assert figures.drawn(spec, weeks.with_columns(pl.col("csat") + 1), events, first, last) is not once
    assert figures.drawn(spec, weeks, None, first, last) is not once
    assert figures.drawn(spec, weeks, events, first, dt.date(2025, 3, 30)) is not once
    assert figures.drawn(spec.but(kind="bar"), weeks, events, first, last) is not once
    assert figures.drawn(spec, weeks, events, first, last) is once


def test_the_figure_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(figures, "DRAWN_KEEP", 3)
    figures._drawn.clear()
    spec = ChartSpec(kind="bar", x="team", y=("n",))
    for n in range(5):
        figures.drawn(spec, pl.DataFrame({"team": ["A"], "n": [n]}))
    assert len(figures._drawn) == 3


def test_live_figures_carry_no_template_and_snapshots_put_plotlys_back(store_path):
    from dashboard import snapshot

    spec = ChartSpec(kind="bar", x="team", y=("n",))
    figure = figures.build(spec, pl.DataFrame({"team": ["A", "B"], "n": [1, 2]}))
    assert figure.layout.template.layout.to_plotly_json() == {}
    assert [bar.marker.color.lower() for bar in figure.data] == ["#636efa"]   # plotly's first colour, named
    page = snapshot.render("overview", "from=2025-03-01&to=2025-03-31", store_path)
    assert '"template":{"data"' in page.replace(" ", "")
