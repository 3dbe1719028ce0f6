"""Attrition page: agent attrition against an independent Python count, Kaplan-Meier retention
curves (hand-computed values, then the demo's mechanics), and customer churn by experience."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import polars as pl
import pytest
from conftest import ROOT, scalar
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, config, coverage, filters, rollups, store, survival

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
CATALOGUE = catalogue.load(config.queries_dir())


def run(con, name: str, period=YEAR, **scope) -> pl.DataFrame:
    values = {**filters.Filters(*period, **scope).as_params(), **catalogue.page_param_defaults()}
    return catalogue.execute(con, CATALOGUE.get(name), values)


# ---- agent attrition ------------------------------------------------------------------------------

def _months(first: dt.date, last: dt.date):
    month = first.replace(day=1)
    while month <= last:
        following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        yield month, following - dt.timedelta(days=1)
        month = following


def _employed(agent: dict, day: dt.date) -> bool:
    return agent["hired_on"] <= day and (agent["left_on"] is None or agent["left_on"] > day)


def annualised_attrition(agents: list[dict], first: dt.date, last: dt.date) -> tuple[float, int]:
    """From agent rows alone: the mean over calendar months of leavers / average headcount (the mean
    of the first and last day's headcount), x 12, in %; and the period's leavers."""
    rates, leavers_total = [], 0
    for month_start, month_end in _months(first, last):
        leavers = sum(1 for a in agents if a["left_on"] is not None and month_start <= a["left_on"] <= month_end)
        headcount = (sum(_employed(a, month_start) for a in agents) + sum(_employed(a, month_end) for a in agents)) / 2
        leavers_total += leavers
        if headcount > 0:
            rates.append(leavers / headcount)
    return 100 * 12 * sum(rates) / len(rates), leavers_total


@pytest.mark.parametrize("period", [YEAR, (dt.date(2025, 3, 15), dt.date(2025, 8, 10))])
def test_annualised_attrition_per_site_matches_python(con, period):
    by_site = run(con, "attrition_by_site", period)
    site = by_site["site"].sort()[0]
    rows = con.cursor().sql("""select a.hired_on, a.left_on from agents as a join teams as t using (team_id)
                               where t.site = $site""", params={"site": site}).pl().to_dicts()
    expected, leavers = annualised_attrition(rows, *period)
    got = by_site.filter(pl.col("site") == site).row(0, named=True)
    assert got["attrition_annualised_pct"] == pytest.approx(expected)
    assert got["leavers"] == leavers > 0
    # the site filter gives the same figure, and the team bars' leavers add up to the site's
    filtered = run(con, "attrition_by_site", period, site=site)
    assert filtered["attrition_annualised_pct"].item() == pytest.approx(expected)
    teams = run(con, "attrition_by_team", period, site=site)
    assert set(teams["site"]) == {site} and teams["leavers"].sum() == leavers


def test_site_trend_is_the_monthly_rate_behind_the_annualised_figure(con):
    trend = run(con, "attrition_site_trend")
    assert trend.height == 12 * trend["site"].n_unique()
    annualised = trend.group_by("site").agg((12 * pl.col("monthly_attrition_pct").mean()).alias("from_trend"))
    joined = annualised.join(run(con, "attrition_by_site"), on="site")
    assert joined["from_trend"].to_list() == pytest.approx(joined["attrition_annualised_pct"].to_list())


# ---- Kaplan-Meier ---------------------------------------------------------------------------------

def test_kaplan_meier_equals_hand_computed_values():
    # left at 2, 3, 5; censored at 3 and 8: S(2) = 4/5, S(3) = 4/5 * 3/4, S(5) = 0.6 * 1/2
    km = survival.kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False])
    assert km["days"].to_list() == [0, 2, 3, 5]
    assert km["at_risk"].to_list() == [5, 5, 4, 2]
    assert km["survival"].to_list() == pytest.approx([1.0, 0.8, 0.6, 0.3])


def test_kaplan_meier_with_left_truncation_equals_hand_computed_values():
    # (entry, exit, left): A (0, 2, yes), B (0, 5, no), C (3, 6, yes), D (1, 4, yes).
    # At 2: A, B, D at risk, one leaves -> 2/3. At 4: B, C, D at risk -> 2/3 * 2/3. At 6: C alone -> 0.
    km = survival.kaplan_meier([2, 5, 6, 4], [1, 0, 1, 1], entry_days=[0, 0, 3, 1])
    assert km["days"].to_list() == [0, 2, 4, 6]
    assert km["at_risk"].to_list()[1:] == [3, 3, 1]
    assert km["survival"].to_list() == pytest.approx([1.0, 2 / 3, 4 / 9, 0.0])


def test_retention_curves_label_groups_and_stop_where_few_remain():
    agents = pl.DataFrame({
        "group": ["a"] * 6 + ["b"] * 3,
        "entry_days": [0] * 9,
        "exit_days": [30, 61, 100, 400, 400, 900, 10, 20, 30],
        "left_in_period": [True, True, False, False, False, False, True, False, False],
    })
    curves = survival.retention_curves(agents, "group", min_at_risk=2)
    a = curves.filter(pl.col("group") == "a")
    assert a["label"][0] == "a (n = 6, 2 left)"
    assert a["share_employed_pct"].to_list() == pytest.approx([100, 100 * 5 / 6, 100 * 5 / 6 * 4 / 5, 100 * 4 / 6])
    # two agents remain at 400 days, one at 900: the curve ends at 400
    assert a["months"].max() == pytest.approx(400 / survival.DAYS_PER_MONTH)
    assert survival.share_employed_at(curves, "b", 1.0) == pytest.approx(100 * 2 / 3)
    fig = survival.retention_figure(curves, "Group")
    assert {t.line.shape for t in fig.data} == {"hv"} and len(fig.data) == 2


@pytest.fixture(scope="module")
def tenure(con) -> pl.DataFrame:
    return run(con, "attrition_agent_tenure")


def test_tenure_rows_follow_each_agent_from_the_record_start(con, tenure):
    employed = scalar(con, "select count(*) from agents where hired_on <= '2025-12-31' and "
                           "(left_on is null or left_on >= '2025-01-01')")
    assert tenure.height == employed
    assert (tenure["exit_days"] >= tenure["entry_days"]).all()
    leavers = scalar(con, "select count(*) from agents where left_on between '2025-01-01' and '2025-12-31'")
    assert tenure["left_in_period"].sum() == leavers
    sizes = tenure.filter(pl.col("satisfaction_order") <= 4).group_by("satisfaction_order").len()["len"]
    assert sizes.len() == 4 and sizes.max() - sizes.min() <= 1  # quartiles of equal size


def test_retention_is_lower_in_the_bottom_satisfaction_quartile(tenure):
    curves = survival.retention_curves(tenure, "satisfaction_group", "satisfaction_order")
    bottom = next(g for g in curves["group"].unique() if g.startswith("Bottom"))
    top = next(g for g in curves["group"].unique() if g.startswith("Top"))
    common = min(curves.filter(pl.col("group") == g)["months"].max() for g in (bottom, top))
    assert common >= 24
    for months in (24, common):
        assert survival.share_employed_at(curves, bottom, months) < survival.share_employed_at(curves, top, months) - 10
    # and the plain share who left in the period says the same
    left = tenure.group_by("satisfaction_order").agg(pl.col("left_in_period").mean()).sort("satisfaction_order")
    assert left["left_in_period"][0] > left["left_in_period"][3]


def test_retention_is_lower_where_the_manager_missed_the_72h_target(tenure):
    curves = survival.retention_curves(tenure, "manager_group", "manager_order")
    assert survival.share_employed_at(curves, "Manager missed the 72 h target", 24) < \
        survival.share_employed_at(curves, "Manager met the 72 h target", 24) - 10


# ---- customer churn -------------------------------------------------------------------------------

def test_churn_is_higher_after_bad_experiences(con):
    frame = run(con, "attrition_customer_churn")
    assert frame["experience"].n_unique() == 4
    for experience, rows in frame.group_by("experience"):
        had = rows.filter(pl.col("went_through") == "Went through it").row(0, named=True)
        did_not = rows.filter(pl.col("went_through") == "Did not").row(0, named=True)
        assert had["churn_pct"] > did_not["churn_pct"], experience
        # each experience splits the same customers: those active at the start who contacted the centre
        assert had["customers"] + did_not["customers"] == scalar(con, """
            select count(distinct c.customer_id) from customers as c join interactions as i using (customer_id)
            where c.joined_on < '2025-01-01' and (c.churned_on is null or c.churned_on >= '2025-01-01')
              and i.queued_at >= '2025-01-01' and i.queued_at < '2026-01-01'""")
    any_bad = frame.filter(pl.col("experience") == "Any of the three")
    low = any_bad.filter(pl.col("went_through") == "Went through it")["churn_low_pct"].item()
    high = any_bad.filter(pl.col("went_through") == "Did not")["churn_high_pct"].item()
    assert low > high, "the Wilson intervals do not overlap"


@pytest.fixture(scope="module", params=["some waits unknown", "no waits supplied"])
def store_with_unknown_waits(request, store_path, tmp_path_factory):
    """The test store with every 7th contact's wait unrecorded (some customers then have no known wait at
    all), or with no wait recorded and the column not supplied, rebuilt as a publish would."""
    path = tmp_path_factory.mktemp("churn_waits") / "waits.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        every = 7 if request.param == "some waits unknown" else 1
        connection.execute(f"update interactions set wait_s = null where interaction_id % {every} = 0")
        rollups.build(connection)
        coverage.record(connection)
        if every == 1:
            connection.execute("update store_coverage set supplied = false "
                               "where table_name = 'interactions' and column_name = 'wait_s'")
    connection = store.open_read_only(path)
    yield request.param, connection
    connection.close()


def test_churn_with_unknown_waits_gives_the_figures_of_the_sql_it_replaced(store_with_unknown_waits):
    # the demo records every wait: this store has customers whose waits are all unknown (left out and
    # counted) or a store without waits (no wait experience, nobody left out)
    from test_rollup_months import assert_same_figures, filter_cases, values_of
    kind, con = store_with_unknown_waits
    query = CATALOGUE.get("attrition_customer_churn")
    for case in filter_cases(con):
        assert_same_figures(con, query, "attrition_customer_churn", values_of(**case))
    year = catalogue.execute(con, query, values_of(YEAR))
    unknown = year.filter(pl.col("experience").is_null())["customers"].to_list()
    assert (unknown[0] > 0 and len(unknown) == 1) if kind == "some waits unknown" else unknown == []


# ---- the page -------------------------------------------------------------------------------------

def _attrition_page(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("views/attrition.py").run()


def test_page_renders_on_the_demo_store(app_env):
    at = _attrition_page(**{"from": "2025-01-01", "to": "2025-12-31"})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    # every query chart plus the two retention curves
    assert len(at.get("plotly_chart")) == len(CATALOGUE.for_page("attrition")) + 2 == 6
    # each retention chart has its reading in words (tests/test_survival.py checks the figures they state)
    captions = [c.value for c in at.caption]
    assert any(c.startswith("After ") and "agents whose manager met the 72 h answer target" in c for c in captions)
    assert any("the top quartile of agents by their own satisfaction" in c for c in captions)


def test_page_renders_on_a_sparse_store_and_names_the_missing_tables(sparse_store_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(sparse_store_path))
    at = _attrition_page()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    notices = " ".join(i.value for i in at.info)
    for table in ("customers", "agent_surveys", "agent_requests"):
        assert table in notices
    assert len(at.get("plotly_chart")) == 3  # the agent attrition charts need only agents
