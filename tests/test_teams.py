"""Teams page: honest ranking (Wilson lower bound), the funnel plot and its drill, the team table's
numbers against an independent count, and the page itself on the demo and sparse stores."""

from __future__ import annotations


import numpy as np
import polars as pl
import pytest
from conftest import MARCH_TO_MAY, ROOT
from statsmodels.stats.proportion import proportion_confint
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, figures, filters, ranking

# (k, n) pairs across the range: tiny counts, extremes, large n
PAIRS = [(0, 1), (1, 1), (1, 2), (3, 7), (95, 100), (0, 50), (50, 50), (812, 1000), (4_321, 5_000)]


def values(date_from=MARCH_TO_MAY[0], date_to=MARCH_TO_MAY[1], **scope) -> dict:
    return {**filters.Filters(date_from, date_to, **scope).as_params(), **catalogue.page_param_defaults()}


@pytest.fixture
def run(con, queries):
    """Runs a page query by name on the test store."""
    return lambda name, vals: catalogue.execute(con, queries.get(name), vals)


# ---- Wilson ordering ---------------------------------------------------------------------------

def test_one_of_one_ranks_below_95_of_100_through_the_ranking_function():
    frame = pl.DataFrame({"team_name": ["Lucky", "Steady"], "satisfied": [1, 95], "survey_answers": [1, 100]})
    ranked = ranking.rank_by_wilson(frame, name="team_name")
    assert ranked.get_column("team_name").to_list() == ["Steady", "Lucky"]
    assert ranked.get_column("rank").to_list() == [1, 2]
    # the raw share would have put Lucky first
    assert ranked.filter(pl.col("team_name") == "Lucky")["csat_pct"].item() == 100.0


def test_one_of_one_ranks_below_95_of_100_through_the_sql_macro(con):
    lucky, steady = con.cursor().sql("select wilson_lower(1, 1), wilson_lower(95, 100)").fetchall()[0]
    assert lucky < steady


@pytest.mark.parametrize("k, n", PAIRS)
def test_sql_macro_and_ranking_match_statsmodels_wilson(con, k, n):
    expected = proportion_confint(k, n, alpha=ranking.WILSON_ALPHA, method="wilson")  # z = 1.96 exactly
    low_sql, high_sql = con.cursor().execute("select wilson_lower($k, $n), wilson_upper($k, $n)",
                                             {"k": k, "n": n}).fetchone()
    low_py, high_py = ranking.wilson_bounds([k], [n])
    assert low_sql == pytest.approx(expected[0], abs=1e-9) and high_sql == pytest.approx(expected[1], abs=1e-9)
    assert low_py[0] == pytest.approx(expected[0], abs=1e-9) and high_py[0] == pytest.approx(expected[1], abs=1e-9)
    # and 1.96 is the conventional 95 %: within 1e-4 of statsmodels' exact alpha = 0.05
    assert low_py[0] == pytest.approx(proportion_confint(k, n, alpha=0.05, method="wilson")[0], abs=1e-4)


def test_units_without_answers_keep_a_row_but_no_rank():
    frame = pl.DataFrame({"team_name": ["Quiet", "Busy"], "satisfied": [0, 8], "survey_answers": [0, 10]})
    ranked = ranking.rank_by_wilson(frame, name="team_name")
    assert ranked.rows()[-1][:2] == (None, "Quiet")
    assert ranked.get_column("rank").to_list()[0] == 1


# ---- funnel ------------------------------------------------------------------------------------

def test_funnel_limits_at_100_answers_and_80_percent():
    low, high = ranking.funnel_limits(0.8, 100)
    assert low == pytest.approx(0.8 - 1.96 * 0.04, abs=1e-12)
    assert high == pytest.approx(0.8 + 1.96 * 0.04, abs=1e-12)


def test_funnel_limits_are_vectorised_narrow_with_n_and_stay_within_0_and_1():
    n = np.array([1, 4, 25, 100, 10_000])
    low, high = ranking.funnel_limits(0.9, n, ranking.Z998)
    assert low.shape == high.shape == n.shape
    assert np.all(np.diff(high - low) < 0)
    assert np.all((low >= 0) & (high <= 1))
    assert high[0] == 1.0  # clipped


def test_funnel_status_flags_what_lies_outside():
    status = ranking.funnel_status([80, 70, 99, 50], [100, 100, 100, 100], 0.8)
    # 70 % at n=100 is outside 95 % (72.2) but inside 99.8 % (67.6); 99 % and 50 % are far outside
    assert status.tolist() == ["within", "below 95 %", "above 99.8 %", "below 99.8 %"]


def test_funnel_colours_good_outliers_green_and_bad_ones_red():
    """Both kinds of outlier were drawn the same red: a team far above the centre looked as bad as one far below."""
    frame = pl.DataFrame({"team_name": ["High", "Low", "Mid", "Mid2"], "satisfied": [99, 50, 80, 160],
                          "survey_answers": [100, 100, 100, 200]})
    fig = ranking.funnel_figure(frame)
    colour = {row[1]: trace.marker.color for trace in fig.data if trace.mode == "markers" for row in trace.customdata}
    assert colour["High"] == "#1e8449" and colour["Low"] == "#c0392b"     # green, red
    assert colour["Mid"] == colour["Mid2"] not in (colour["High"], colour["Low"])


def test_a_click_on_a_funnel_team_finds_the_team(con, run):
    teams = run("teams_team_table", values())
    fig = ranking.funnel_figure(teams, "team_name")
    points = [t for t in fig.data if t.mode == "markers"]
    assert sum(len(t.x) for t in points) == teams.filter(pl.col("survey_answers") > 0).height
    trace = points[0]
    # shaped as Streamlit returns a plotly selection point
    point = {"curve_number": list(fig.data).index(trace), "point_number": 0, "point_index": 0,
             "x": trace.x[0], "y": trace.y[0], "customdata": list(trace.customdata[0]), "legendgroup": ""}
    known = filters.read_choices(con).teams
    team = figures.selected_team([point], known)
    assert team == trace.customdata[0][0] and team in known
    # the point's numbers are that team's
    row = teams.filter(pl.col("team_name") == team).row(0, named=True)
    assert (point["x"], point["y"]) == (row["survey_answers"], pytest.approx(100 * row["satisfied"] / row["survey_answers"]))


def test_agent_funnel_points_carry_their_team_so_a_click_does_not_leave_it(con, run):
    team = filters.read_choices(con).teams_at(None)[0]
    agents = run("teams_agent_table", values(team=team))
    fig = ranking.funnel_figure(agents, "agent_name")
    custom = [row for t in fig.data if t.mode == "markers" for row in t.customdata]
    assert custom and {row[0] for row in custom} == {team}
    assert {row[1] for row in custom} <= set(agents.get_column("agent_name"))


def test_funnel_centre_line_is_the_pooled_rate(con, run):
    teams = run("teams_team_table", values())
    fig = ranking.funnel_figure(teams)
    centre = next(t for t in fig.data if t.name.startswith("Overall CSAT"))
    pooled = 100 * teams["satisfied"].sum() / teams["survey_answers"].sum()
    assert centre.y[0] == pytest.approx(pooled)


# ---- the tables' numbers -----------------------------------------------------------------------

def test_team_csat_equals_an_independent_count(con, run):
    team = filters.read_choices(con).teams_at(None)[4]
    start, end = MARCH_TO_MAY
    satisfied, answers = con.cursor().execute("""
        select count(*) filter (where s.csat >= 4), count(s.csat)
        from customer_surveys as s
        join interactions as i using (interaction_id)
        join teams as t on t.team_id = i.team_id
        where t.team_name = $team and i.queued_at::date between $start and $end
    """, {"team": team, "start": start, "end": end}).fetchone()
    assert answers > 50
    table = ranking.ranked_table(run("teams_team_table", values()), "team")
    row = table.filter(pl.col("Team") == team).row(0, named=True)
    assert row["Answers (n)"] == answers
    assert row["CSAT %"] == pytest.approx(round(100 * satisfied / answers, 1))
    bar = run("teams_csat_by_team", values()).filter(pl.col("team_name") == team).row(0, named=True)
    assert bar["csat_pct"] == pytest.approx(100 * satisfied / answers)


def test_team_ranking_is_sorted_by_the_wilson_lower_bound(con, run):
    raw = run("teams_team_table", values())
    table = ranking.ranked_table(raw, "team")
    lower = table.get_column("CSAT lower %").to_list()
    assert lower == sorted(lower, reverse=True)
    assert table.get_column("Rank").to_list() == list(range(1, table.height + 1))
    assert set(table.columns) >= {"CSAT %", "CSAT lower %", "CSAT upper %", "Answers (n)", "Volume (answered)",
                                  "AHT (s)", "FCR %", "Escalation %", "Agent satisfaction %"}
    # the header-drawn bar chart orders teams the same way
    bar = run("teams_csat_by_team", values())
    assert bar.get_column("team_name").to_list() == table.get_column("Team").to_list()


def test_agent_table_lists_only_agents_with_contacts_in_scope(con, run):
    team = filters.read_choices(con).teams_at(None)[1]
    agents = run("teams_agent_table", values(team=team, channel="chat"))
    expected = con.cursor().execute("""
        select count(distinct i.agent_id)
        from interactions as i join teams as t using (team_id)
        where t.team_name = $team and i.channel = 'chat' and not i.abandoned
          and i.queued_at::date between $start and $end
    """, {"team": team, "start": MARCH_TO_MAY[0], "end": MARCH_TO_MAY[1]}).fetchone()[0]
    assert agents.height == expected > 0
    assert (agents.get_column("answered") > 0).all()
    table = ranking.ranked_table(agents, "agent")
    assert table.columns[:3] == ["Rank", "Agent", "Team"]


# ---- the page ----------------------------------------------------------------------------------

def ranked_table_shown(at: AppTest):
    """The ranking table on the page (the charts' data expanders hold other tables)."""
    return next(d.value for d in at.dataframe if d.value.columns[0] == "Rank")


def open_teams(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    for key, value in {"from": "2025-03-01", "to": "2025-05-31", **params}.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("views/teams.py").run()


def test_teams_page_on_the_demo_store(app_env):
    at = open_teams()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    subheaders = [s.value for s in at.subheader]
    assert "CSAT by team" in subheaders and "Funnel plot: CSAT against answers, per team" in subheaders
    shown = ranked_table_shown(at)
    assert shown.columns[:3].tolist() == ["Rank", "Team", "Site"] and shown["Rank"].tolist()[:3] == [1, 2, 3]


def test_teams_page_with_a_team_ranks_and_funnels_its_agents(app_env, con):
    """The view a click on a team leads to (ui.drill_to sets ?team=): that team's agents."""
    team = filters.read_choices(con).teams_at(None)[0]
    at = open_teams(team=team, rank="agent")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert f"Funnel plot: CSAT against answers, per agent of {team}" in [s.value for s in at.subheader]
    shown = ranked_table_shown(at)
    assert shown.columns[:3].tolist() == ["Rank", "Agent", "Team"] and set(shown["Team"]) == {team}


def test_teams_page_on_the_sparse_store(sparse_store_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(sparse_store_path))
    at = open_teams(**{"from": "2025-01-01", "to": "2025-12-31"})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("agent_surveys" in i.value for i in at.info)
    assert len(ranked_table_shown(at)) > 0  # customer surveys exist, so the ranking still works
