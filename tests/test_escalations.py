"""Escalations page: where exceptions are decided, what each level costs, the authority limit, the
empowerment pilot and the what-if, from the page's own queries on the 60,000-contact demo store."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from conftest import ROOT, scalar
from scipy import stats
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, config, filters

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
CATALOGUE = catalogue.load(config.queries_dir())


def run(con, name: str, team: str | None = None, period=YEAR, **page_values) -> pl.DataFrame:
    values = {**filters.Filters(*period, team=team).as_params(), **catalogue.page_param_defaults(), **page_values}
    return catalogue.execute(con, CATALOGUE.get(name), values)


def by_level(frame: pl.DataFrame, column: str) -> dict[str, float]:
    return dict(zip(frame["decided_by"], frame[column]))


@pytest.fixture(scope="module")
def pilot(con) -> tuple[str, dt.date]:
    """The team whose limit an 'empowerment' event raised, and the day it did."""
    rows = con.cursor().sql("""select t.team_name, e.starts_on from events as e join teams as t using (team_id)
                               where e.category = 'empowerment'""").fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def test_depth_distribution_counts_every_answered_contact(con):
    frame = run(con, "escalations_depth_distribution")
    for group, total_sql in (("Exception requests", "and exception_requested"), ("All answered contacts", "")):
        rows = frame.filter(pl.col("contacts_in") == group)
        assert rows.height == 4
        assert rows["share_pct"].sum() == pytest.approx(100)
        expected = scalar(con, f"""select count(*) from interactions where not abandoned {total_sql}
                                  and queued_at >= '2025-01-01' and queued_at < '2026-01-01'""")
        assert rows["contacts"].sum() == expected == rows["total_contacts"][0]
    # only exception requests can be escalated: depth > 0 counts agree between the two groups
    escalated = (frame.filter(pl.col("depth_label") != "0 · agent")
                 .group_by("contacts_in").agg(pl.col("contacts").sum()))
    assert escalated["contacts"].n_unique() == 1


def test_csat_falls_with_depth(con):
    frame = run(con, "escalations_csat_by_depth")
    csat, low, high = (by_level(frame, c) for c in ("csat_pct", "csat_low_pct", "csat_high_pct"))
    assert csat["0 · agent"] > csat["1 · team lead"] > csat["2 · manager"]
    assert low["0 · agent"] > high["2 · manager"], "the Wilson intervals of depth 0 and 2 do not overlap"
    assert all(lo <= c <= hi for lo, c, hi in zip(frame["csat_low_pct"], frame["csat_pct"], frame["csat_high_pct"]))


def test_fcr_falls_with_depth(con):
    frame = run(con, "escalations_fcr_by_depth")
    fcr, low, high = (by_level(frame, c) for c in ("fcr_pct", "fcr_low_pct", "fcr_high_pct"))
    assert fcr["0 · agent"] > fcr["1 · team lead"] > fcr["2 · manager"]
    assert low["0 · agent"] > high["1 · team lead"]
    # the same definition as the overview's FCR: pooled over every level it gives the overview figure
    pooled = 100 * frame["resolved_first_time"].sum() / frame["answered_contacts"].sum()
    kpis = catalogue.execute(con, CATALOGUE.get("overview_customer_kpis"), filters.Filters(*YEAR).as_params())
    assert pooled == pytest.approx(kpis["fcr"][0])


def test_each_level_adds_hours_to_resolution(con):
    medians = by_level(run(con, "escalations_resolution_by_depth"), "median_hours")
    levels = ["0 · agent", "1 · team lead", "2 · manager", "3 · senior management"]
    assert [medians[level] for level in levels] == sorted(medians[level] for level in levels)
    assert medians["2 · manager"] > 10 * medians["0 · agent"]


def test_pilot_team_escalates_less_after_its_event(con, pilot):
    team, starts_on = pilot
    weekly = run(con, "escalations_weekly_rate", team=team)
    # whole weeks only: the week holding the event day mixes the two regimes
    before = weekly.filter(pl.col("week") + dt.timedelta(days=6) < starts_on)["escalation_rate_pct"]
    after = weekly.filter(pl.col("week") >= starts_on)["escalation_rate_pct"]
    assert before.len() >= 20 and after.len() >= 20
    assert after.mean() < 0.5 * before.mean()
    assert stats.mannwhitneyu(before, after, alternative="greater").pvalue < 0.001


def test_escalation_rate_falls_as_authority_limit_rises(con, pilot):
    frame = run(con, "escalations_rate_by_authority")
    assert frame["team_name"].n_unique() == frame.height == scalar(con, "select count(*) from teams")
    rho, p = stats.spearmanr(frame["authority_limit"], frame["escalated_pct"])
    assert rho < -0.8 and p < 0.001
    # a team with no authority escalates every exception
    no_authority = frame.filter(pl.col("authority_limit") == 0)
    assert no_authority.height > 0 and (no_authority["escalated_pct"] == 100.0).all()
    # the piloted team counts only requests made under its current (raised) limit
    team, starts_on = pilot
    since = scalar(con, """select count(*) from interactions join teams using (team_id)
                           where team_name = $team and not abandoned and exception_requested
                             and queued_at >= $since and queued_at < '2026-01-01'""",
                   {"team": team, "since": starts_on})
    assert frame.filter(pl.col("team_name") == team)["exception_requests"].item() == since


def test_decision_level_shares_add_up(con):
    shares = ["agent_pct", "team_lead_pct", "manager_pct", "senior_management_pct"]
    for name in ("escalations_level_by_team", "escalations_level_by_month"):
        frame = run(con, name)
        assert frame.select(pl.sum_horizontal(shares)).to_series().to_list() == pytest.approx([100.0] * frame.height)
    monthly = run(con, "escalations_level_by_month")
    assert monthly.height == 12 and monthly["exception_requests"].sum() == run(
        con, "escalations_depth_distribution").filter(pl.col("contacts_in") == "Exception requests")["contacts"].sum()


INDEPENDENT_WHAT_IF = """
    select count(*), sum(date_diff('second', ended_at, decided_at)) / 3600.0
    from interactions
    where escalation_depth >= 1 and exception_requested and not abandoned and exception_amount <= $limit
      and queued_at >= '2025-01-01' and queued_at < '2026-01-01'
"""


def test_what_if_is_monotone_and_matches_an_independent_count(con):
    limits = [0, 25, 100, 300, 1000, 10_000_000]
    rows = [run(con, "escalations_what_if", grant_limit=float(x)).row(0, named=True) for x in limits]
    avoided = [r["escalations_avoided"] for r in rows]
    assert avoided[0] == 0 and rows[0]["waiting_hours_saved"] == 0
    assert avoided == sorted(avoided) and avoided[2] < avoided[3]
    assert avoided[-1] == rows[-1]["escalations"]
    assert rows[-1]["waiting_hours_saved"] == pytest.approx(rows[-1]["waiting_hours"])
    count, hours = con.cursor().sql(INDEPENDENT_WHAT_IF, params={"limit": 300}).fetchall()[0]
    assert avoided[3] == count > 0
    assert rows[3]["waiting_hours_saved"] == pytest.approx(hours)


def _escalations_page(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("views/escalations.py").run()


def test_page_renders_on_the_demo_store_with_a_linked_what_if(app_env, con):
    at = _escalations_page(grant="50", **{"from": "2025-01-01", "to": "2025-12-31"})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == len(CATALOGUE.for_page("escalations")) == 8
    assert at.number_input(key="grant").value == 50  # the link's what-if limit, not the default
    tiles = {m.label: m.value for m in at.metric}
    expected = run(con, "escalations_what_if", grant_limit=50.0).row(0, named=True)
    assert tiles["Escalations avoided"] == f"{expected['escalations_avoided']:,}"
    assert tiles["Of all escalations"] == f"{100 * expected['escalations_avoided'] / expected['escalations']:.1f} %"


def test_page_renders_on_a_sparse_store(sparse_store_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(sparse_store_path))
    at = _escalations_page()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == len(CATALOGUE.for_page("escalations")) and len(at.metric) == 4
