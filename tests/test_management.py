"""Management page: managers' 72 h answers against an independent count and against their agents'
satisfaction, touchpoint SLA attainment, milestone survey intervals, training bins, and the page
itself on the demo and sparse stores."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from conftest import MARCH_TO_MAY, ROOT
from scipy import stats
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, filters, ranking, store

YEAR_2025 = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def values(period=MARCH_TO_MAY, **scope) -> dict:
    return {**filters.Filters(*period, **scope).as_params(), **catalogue.page_param_defaults()}


def fetch(con, sql: str, params: dict | None = None) -> pl.DataFrame:
    return store.run(con, sql, params)


# ---- managers' answers -------------------------------------------------------------------------

def test_share_within_72h_for_one_manager_equals_an_independent_count(con, queries):
    by_manager = catalogue.execute(con, queries.get("management_requests_by_manager"), values())
    row = by_manager.row(by_manager.height // 2, named=True)
    # independently: the raw requests of that team's agents, counted in polars
    raw = fetch(con, """
        select r.opened_at, r.answered_at
        from agent_requests as r join agents as a using (agent_id) join teams as t using (team_id)
        where t.team_name = $team
    """, {"team": row["team_name"]})
    start, end = MARCH_TO_MAY
    in_period = raw.filter(pl.col("opened_at").dt.date().is_between(start, end))
    in_time = in_period.filter((pl.col("answered_at") - pl.col("opened_at")) <= pl.duration(hours=72)).height
    assert row["requests"] == in_period.height > 10
    assert row["answered_within_72h"] == in_time
    assert row["within_72h_pct"] == pytest.approx(100 * in_time / in_period.height)
    low, high = ranking.wilson_bounds(in_time, in_period.height)
    assert (row["within_72h_low"], row["within_72h_high"]) == (pytest.approx(100 * low), pytest.approx(100 * high))


def test_by_kind_and_by_month_add_up_to_the_same_requests(con, queries):
    kinds = catalogue.execute(con, queries.get("management_requests_by_kind"), values())
    months = catalogue.execute(con, queries.get("management_requests_trend"), values())
    managers = catalogue.execute(con, queries.get("management_requests_by_manager"), values())
    assert set(kinds["kind"]) == {"leave", "schedule", "equipment", "professional"}
    assert months["month"].to_list() == ["Mar 2025", "Apr 2025", "May 2025"]
    assert kinds["requests"].sum() == months["requests"].sum() == managers["requests"].sum()


def test_managers_who_answer_within_72h_more_often_have_more_satisfied_agents(con, queries):
    """The demo's mechanism (slow managers lower agent satisfaction), read from the page's own query."""
    teams = catalogue.execute(con, queries.get("management_requests_vs_satisfaction"), values(YEAR_2025))
    assert teams.height >= 20
    rho, p_value = stats.spearmanr(teams["within_72h_pct"], teams["agent_satisfaction_pct"])
    assert rho > 0.4 and p_value < 0.01
    # pooled, not averaged: the faster half's agents answer 4-5 more often than the slower half's
    teams = teams.with_columns(
        (pl.col("within_72h_pct") >= pl.col("within_72h_pct").median()).alias("faster"),
        (pl.col("agent_satisfaction_pct") * pl.col("survey_answers") / 100).round().alias("satisfied"))
    pooled = teams.group_by("faster").agg(pl.col("satisfied").sum() / pl.col("survey_answers").sum())
    share = dict(pooled.iter_rows())
    assert share[True] > share[False] + 0.1


# ---- touchpoint scorecard ----------------------------------------------------------------------

@pytest.mark.parametrize("touchpoint", ["Billing question", "Technician visit"])  # a wait SLA and a resolution SLA
def test_touchpoint_attainment_equals_an_independent_count(con, queries, touchpoint):
    card = catalogue.execute(con, queries.get("management_touchpoint_scorecard"), values())
    row = card.filter(pl.col("Touchpoint") == touchpoint).row(0, named=True)
    sla = fetch(con, "select sla_seconds, sla_measure from touchpoints where touchpoint_name = $tp",
                {"tp": touchpoint}).row(0, named=True)
    contacts = fetch(con, """
        select i.abandoned, i.wait_s, i.resolved, i.resolution_s, i.queued_at
        from interactions as i join touchpoints as tp using (touchpoint_id)
        where tp.touchpoint_name = $tp
    """, {"tp": touchpoint}).filter(pl.col("queued_at").dt.date().is_between(*MARCH_TO_MAY))
    if sla["sla_measure"] == "wait_s":
        met = contacts.filter(~pl.col("abandoned") & (pl.col("wait_s") <= sla["sla_seconds"])).height
    else:
        met = contacts.filter(pl.col("resolved").fill_null(False)
                              & (pl.col("resolution_s") <= sla["sla_seconds"])).height
    assert row["Contacts"] == contacts.height > 100
    assert row["Attainment %"] == pytest.approx(round(100 * met / contacts.height, 1))
    assert row["Owning unit"] and row["SLA"]


def test_scorecard_is_worst_first_and_follows_the_touchpoint_filter(con, queries):
    card = catalogue.execute(con, queries.get("management_touchpoint_scorecard"), values())
    attainment = card["Attainment %"].to_list()
    assert attainment == sorted(attainment) and card.height == card["Touchpoint"].n_unique() > 1
    one = catalogue.execute(con, queries.get("management_touchpoint_scorecard"), values(touchpoint="Complaint"))
    assert one["Touchpoint"].to_list() == ["Complaint"]


# ---- agent surveys by milestone ----------------------------------------------------------------

def test_milestone_item_means_and_t_intervals(con, queries):
    items = catalogue.execute(con, queries.get("management_survey_items"), values(YEAR_2025))
    assert "pulse" not in items["milestone"].to_list()
    assert set(items["milestone"]) == {"3m", "6m", "12m", "24m"}
    raw = fetch(con, "select milestone, manager_support from agent_surveys where milestone = '12m' "
                     "and surveyed_at between date '2025-01-01' and date '2025-12-31'")["manager_support"].to_numpy()
    row = ranking.mean_intervals(items).filter((pl.col("milestone") == "12m") & (pl.col("item") == "manager_support"))
    row = row.row(0, named=True)
    assert row["answers"] == len(raw) and row["mean_score"] == pytest.approx(raw.mean())
    low, high = stats.t.interval(0.95, len(raw) - 1, loc=raw.mean(), scale=stats.sem(raw))
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_mean_intervals_need_two_answers():
    frame = pl.DataFrame({"mean_score": [3.0, 4.0], "sd_score": [None, 1.0], "answers": [1, 4]})
    out = ranking.mean_intervals(frame)
    assert out["ci_low"][0] is None
    assert out["ci_high"][1] == pytest.approx(4.0 + stats.t.ppf(0.975, 3) * 1.0 / 2)


def test_survey_responses_count_pulse_on_its_own_row(con, queries):
    responses = catalogue.execute(con, queries.get("management_survey_responses"), values(YEAR_2025))
    assert responses["Milestone"].to_list()[-1] == "Quarterly pulse"
    pulse = fetch(con, "select count(*) as n from agent_surveys where milestone = 'pulse'")["n"].item()
    assert responses.filter(pl.col("Milestone") == "Quarterly pulse")["Answers"].item() == pulse
    rates = responses["Response rate %"].drop_nulls()
    assert len(rates) == 4 and rates.is_between(30, 100).all()


# ---- training ----------------------------------------------------------------------------------

def test_training_bins_pool_the_same_team_months_as_the_scatter(con, queries):
    points = catalogue.execute(con, queries.get("management_training_team_months"), values(YEAR_2025))
    bins = catalogue.execute(con, queries.get("management_training_buckets"), values(YEAR_2025))
    for measure in ("FCR %", "CSAT %"):
        assert points.filter(pl.col("measure") == measure)["n"].sum() == bins.filter(pl.col("measure") == measure)["n"].sum()
    fcr = points.filter(pl.col("measure") == "FCR %")
    assert fcr.height == fcr.select("team_name", "month").n_unique() > 100
    assert (bins["pct_low"] <= bins["pct"]).all() and (bins["pct"] <= bins["pct_high"]).all()
    # the demo: training raises resolution, so the best-trained bins resolve more than the least
    fcr_bins = bins.filter(pl.col("measure") == "FCR %").sort("bucket_order")["pct"].to_numpy()
    assert fcr_bins[-1] > fcr_bins[0] and np.all(np.isfinite(fcr_bins))


# ---- the page ----------------------------------------------------------------------------------

def open_management(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    for key, value in {"from": "2025-03-01", "to": "2025-05-31", **params}.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("views/management.py").run()


def test_management_page_on_the_demo_store(app_env):
    at = open_management()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    subheaders = [s.value for s in at.subheader]
    for title in ("Agent requests answered within 72 h, by manager", "Touchpoint scorecard",
                  "Agent survey items by tenure milestone", "Agent survey responses by milestone"):
        assert title in subheaders
    assert len(at.get("plotly_chart")) >= 7


def test_management_page_on_the_sparse_store(sparse_store_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(sparse_store_path))
    at = open_management(**{"from": "2025-01-01", "to": "2025-12-31"})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    notices = " ".join(i.value for i in at.info)
    for table in ("agent_requests", "agent_surveys", "training"):
        assert table in notices
    # the scorecard needs only contacts and touchpoints, so it still shows
    assert any("Touchpoint" in d.value.columns for d in at.dataframe)
