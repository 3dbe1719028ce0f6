"""Customer vs agent: the team-month relationship (pooled, within team, lagged) and the mirrored
table, checked against independent computations; the page on the demo and on a sparse store."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from conftest import MARCH_TO_MAY, ROOT, scalar
from scipy import stats
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, config, filters, relations

YEAR_2025 = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


CATALOGUE = catalogue.load(config.queries_dir())


def run(con, name: str, chosen: filters.Filters) -> pl.DataFrame:
    values = {**chosen.as_params(), **catalogue.page_param_defaults()}
    return catalogue.execute(con, CATALOGUE.get(name), values)


@pytest.fixture(scope="module")
def year_team_months(con) -> pl.DataFrame:
    return run(con, "customer_vs_agent_team_months", filters.Filters(*YEAR_2025))


def hand_made(rows) -> pl.DataFrame:
    """team-months from (team, month number, customer answers, satisfied, agent answers, satisfied)."""
    return pl.DataFrame(
        [(t, dt.date(2025, m, 1), ca, cs, ca, cs, 0, aa, a_s) for t, m, ca, cs, aa, a_s in rows],
        schema=["team_name", "month", "customer_answers", "customer_satisfied", "nps_answers", "nps_promoters",
                "nps_detractors", "agent_answers", "agent_satisfied"], orient="row")


# ---- the relationship on the demo store -----------------------------------------------------------

def test_pooled_csat_rises_with_agent_satisfaction_over_2025(year_team_months):
    # the demo's mechanics: a more satisfied agent gives the customer a better experience
    result = relations.relationship(year_team_months, "CSAT", lag=0)
    fit = result.pooled
    both_sides = year_team_months.filter(pl.col("customer_answers") > 0, pl.col("agent_answers") > 0)
    assert fit.n == both_sides.height == result.pairs.height
    assert fit.n > 100, "a year of 25 teams gives many team-months with agent answers"
    assert fit.r > 0 and fit.low > 0
    assert fit.low < fit.r < fit.high
    assert fit.slope > 0


def test_within_team_demeaning_centres_every_team_on_zero(year_team_months):
    result = relations.relationship(year_team_months, "CSAT", lag=0)
    means = result.within_pairs.group_by("team_name").agg(pl.col("agent").mean(), pl.col("customer").mean(),
                                                          pl.len())
    assert means.height >= 20
    assert means.get_column("agent").abs().max() < 1e-9
    assert means.get_column("customer").abs().max() < 1e-9
    assert means.get_column("len").min() >= 2, "a team with one team-month carries no within-team information"
    # the spread left is the within-team one: smaller than the pooled spread on the agent axis
    assert result.within_pairs.get_column("agent").std() < result.pairs.get_column("agent").std()
    assert result.within is not None and result.within.low < result.within.r < result.within.high


def test_team_month_rates_come_from_each_team_months_own_counts(year_team_months):
    rates = relations.team_month_rates(year_team_months, "NPS")
    row = year_team_months.row(0, named=True)
    expected = 100.0 * (row["nps_promoters"] - row["nps_detractors"]) / row["nps_answers"]
    assert rates.row(0, named=True)["customer"] == pytest.approx(expected)
    frame = hand_made([("A", 1, 4, 3, 0, 0), ("A", 2, 0, 0, 3, 1)])
    rates = relations.team_month_rates(frame, "CSAT")
    assert rates.get_column("customer").to_list() == [75.0, None]
    assert rates.get_column("agent").to_list()[0] is None
    assert rates.get_column("agent").to_list()[1] == pytest.approx(100 / 3)


# ---- units on hand-made frames --------------------------------------------------------------------

LAG_FRAME = hand_made([
    # team, month, customer answers, satisfied, agent answers, satisfied
    ("A", 1, 10, 5, 2, 1), ("A", 2, 10, 6, 4, 1), ("A", 3, 10, 7, 0, 0), ("A", 4, 10, 8, 5, 5),
    ("B", 1, 10, 1, 1, 0), ("B", 2, 0, 0, 2, 2), ("B", 3, 10, 3, 3, 3),
])


def pairs_of(pairs: pl.DataFrame) -> set[tuple]:
    return {(t, a.month, c.month) for t, a, c in pairs.select("team_name", "agent_month", "customer_month").iter_rows()}


def test_lag_pairs_agent_month_m_with_customer_month_m_plus_k_within_the_team():
    rates = relations.team_month_rates(LAG_FRAME)
    # same month: only months where both sides answered (A3 has no agents, B2 no customers)
    assert pairs_of(relations.lagged_pairs(rates, 0)) == {("A", 1, 1), ("A", 2, 2), ("A", 4, 4), ("B", 1, 1),
                                                          ("B", 3, 3)}
    # agents one month ahead: A4 and B3 have no next month; B2's agents meet B3's customers
    plus_one = relations.lagged_pairs(rates, 1)
    assert pairs_of(plus_one) == {("A", 1, 2), ("A", 2, 3), ("B", 2, 3)}
    a1 = plus_one.filter(pl.col("team_name") == "A", pl.col("agent_month") == dt.date(2025, 1, 1)).row(0, named=True)
    assert (a1["agent"], a1["customer"]) == (50.0, 60.0)  # A's January agents, A's February customers
    # customers one month ahead of agents
    assert pairs_of(relations.lagged_pairs(rates, -1)) == {("A", 2, 1), ("A", 4, 3), ("B", 2, 1)}
    assert pairs_of(relations.lagged_pairs(rates, 3)) == {("A", 1, 4)}
    # a threshold on agent answers drops thin months before pairing
    assert pairs_of(relations.lagged_pairs(rates, 0, min_agent_answers=3)) == {("A", 2, 2), ("A", 4, 4),
                                                                              ("B", 3, 3)}


def test_demeaning_by_hand_and_single_month_teams_left_out():
    rates = relations.team_month_rates(LAG_FRAME)
    within = relations.demean_within_team(relations.lagged_pairs(rates, 0))
    # B pairs January (agents 0 %, customers 10 %) and March (100 %, 30 %): means 50 and 20
    b = within.filter(pl.col("team_name") == "B").sort("agent_month")
    assert b.get_column("agent").to_list() == [-50.0, 50.0]
    assert b.get_column("customer").to_list() == pytest.approx([-10.0, 10.0])
    # with a 3-month lag only A pairs once: a single team-month says nothing within its team
    assert relations.demean_within_team(relations.lagged_pairs(rates, 3)).is_empty()


def test_lag_labels_say_which_side_comes_first():
    assert relations.lag_label(0) == "Same month"
    assert relations.lag_label(2) == "Agent satisfaction 2 months before the customer score"
    assert relations.lag_label(-1) == "Customer score 1 month before agent satisfaction"
    assert len({relations.lag_label(k) for k in relations.LAGS}) == len(relations.LAGS)


def test_correlation_and_line_equal_numpy_and_scipy_on_the_same_pairs(year_team_months):
    pairs = relations.lagged_pairs(relations.team_month_rates(year_team_months), 2)
    fit = relations.correlate(pairs)
    x, y = pairs.get_column("agent").to_numpy(), pairs.get_column("customer").to_numpy()
    r = np.corrcoef(x, y)[0, 1]
    assert fit.r == pytest.approx(r, abs=1e-12) and fit.n == len(x)
    # Fisher's z interval, written out independently of scipy's
    half = stats.norm.ppf(0.975) / math.sqrt(len(x) - 3)
    assert fit.low == pytest.approx(math.tanh(math.atanh(r) - half), abs=1e-9)
    assert fit.high == pytest.approx(math.tanh(math.atanh(r) + half), abs=1e-9)
    slope, intercept = np.polyfit(x, y, 1)
    assert (fit.slope, fit.intercept) == (pytest.approx(slope), pytest.approx(intercept))


def test_too_few_pairs_or_no_variation_give_no_correlation():
    two = pl.DataFrame({"agent": [40.0, 60.0], "customer": [70.0, 80.0]})
    assert relations.correlate(two) is None
    flat = pl.DataFrame({"agent": [50.0, 50.0, 50.0, 50.0], "customer": [70.0, 80.0, 75.0, 72.0]})
    assert relations.correlate(flat) is None
    three = relations.correlate(pl.DataFrame({"agent": [40.0, 60.0, 50.0], "customer": [70.0, 80.0, 72.0]}))
    assert three.n == 3 and "too few pairs for an interval" in three.describe()
    assert relations.metric_text(None, 2)[0] == "—"
    assert relations.small_n_message(2).startswith("Only 2 team-months pair up")


# ---- the mirrored table ---------------------------------------------------------------------------

@pytest.mark.parametrize("scope", [{}, {"site": "first"}, {"channel": "phone"}])
def test_mirrored_table_equals_independent_computations(con, scope):
    choices = filters.read_choices(con)
    if scope.get("site") == "first":
        scope = {"site": choices.sites[0]}
    chosen = filters.Filters(*MARCH_TO_MAY, **scope)
    mirror = run(con, "customer_vs_agent_mirror", chosen).row(0, named=True)
    customer = run(con, "overview_customer_kpis", chosen).row(0, named=True)
    agent = run(con, "overview_agent_kpis", chosen).row(0, named=True)
    figures = relations.mirror_figures(mirror, customer, agent)
    table = {row["measure"]: row for row in figures.iter_rows(named=True)}

    # the team-month counts add up to the overview's CSAT and agent satisfaction for the same filters
    team_months = run(con, "customer_vs_agent_team_months", chosen)
    sums = team_months.select(pl.all().exclude("team_name", "month").sum()).row(0, named=True)
    assert table["Satisfaction"]["customer"] == pytest.approx(customer["csat"])
    satisfaction = table["Satisfaction"]
    assert satisfaction["customer"] == pytest.approx(100 * sums["customer_satisfied"] / sums["customer_answers"])
    assert satisfaction["agent"] == pytest.approx(100 * sums["agent_satisfied"] / sums["agent_answers"])
    assert table["Leaving"]["customer"] == customer["customer_churn"]
    assert table["Leaving"]["agent"] == agent["attrition_annualised"]
    assert table["Wait for an answer"]["customer"] == customer["asa"]

    # the agent side, straight from the raw tables (site and team only: agents have no channel)
    params = {"site": chosen.site} if chosen.site else {}
    agents = ("select a.* from agents a join teams t using (team_id) where "
              + ("t.site = $site" if chosen.site else "true"))
    in_scope = f"agent_id in (select agent_id from ({agents}))"
    requests = con.cursor().sql(f"""select opened_at, answered_at from agent_requests
        where {in_scope} and opened_at::date between '2025-03-01' and '2025-05-31'""", params=params).fetchall()
    waits = [(answered - opened).total_seconds() / 3600 for opened, answered in requests if answered is not None]
    hours = sum(waits) / len(waits)
    unanswered = 100 * (len(requests) - len(waits)) / len(requests)
    answers = scalar(con, f"""select count(*) from agent_surveys where satisfaction is not null
        and {in_scope} and surveyed_at between '2025-03-01' and '2025-05-31'""", params)
    employed = scalar(con, f"""select count(*) from ({agents}) where hired_on <= '2025-05-31'
        and (left_on is null or left_on > '2025-03-01')""", params)
    assert table["Wait for an answer"]["agent"] == pytest.approx(hours)
    assert table["Never answered"]["agent"] == pytest.approx(unanswered)
    assert table["Survey response"]["agent"] == pytest.approx(answers / employed)

    # the customer side's survey response: answered contacts with a survey / answered contacts
    conditions = ["not i.abandoned", "i.queued_at::date between '2025-03-01' and '2025-05-31'"]
    params = {}
    if chosen.site:
        conditions.append("t.site = $site")
        params["site"] = chosen.site
    if chosen.channel:
        conditions.append("i.channel = $channel")
        params["channel"] = chosen.channel
    response = scalar(con, f"""select 100.0 * count(*) filter (where exists (select 1 from customer_surveys s
        where s.interaction_id = i.interaction_id)) / count(*)
        from interactions i join teams t using (team_id) where {' and '.join(conditions)}""", params)
    assert table["Survey response"]["customer"] == pytest.approx(response)
    assert 15 < response < 30, "the demo's survey response is partial, about 20 %"


def test_channel_filter_leaves_the_agent_side_alone(con):
    every = filters.Filters(*MARCH_TO_MAY)
    phone = filters.Filters(*MARCH_TO_MAY, channel="phone")
    both = [run(con, "customer_vs_agent_mirror", f).row(0, named=True) for f in (every, phone)]
    assert both[0]["answered_contacts"] > both[1]["answered_contacts"]
    for column in ("requests_opened", "request_answer_hours", "agent_survey_answers", "agents_employed"):
        assert both[0][column] == both[1][column]
    months = [run(con, "customer_vs_agent_team_months", f) for f in (every, phone)]
    assert months[0].get_column("agent_answers").sum() == months[1].get_column("agent_answers").sum()
    assert months[0].get_column("customer_answers").sum() > months[1].get_column("customer_answers").sum()


def test_mirror_table_shows_units_and_says_why_a_side_has_no_data():
    figures = relations.mirror_figures(
        {"surveyed_contacts": 20, "answered_contacts": 100, "request_answer_hours": None, "requests_unanswered": 0,
         "requests_opened": 0, "agent_survey_answers": 0, "agents_employed": 12},
        {"asa": 31.6, "abandon_rate": 5.0, "csat": 80.0, "customer_churn": None},
        {"agent_satisfaction": None, "attrition_annualised": 24.0})
    why = {"agent_requests.answered_at": "no requests", "agent_surveys.satisfaction": "no answers",
           "agent_surveys": "no surveys", "customers.churned_on": "no churn dates"}
    table = relations.mirror_table(figures, why.get)
    cells = {row[0]: row[1:] for row in table.iter_rows()}
    assert table.columns == ["Measure", "Customer", "Agent"]
    assert cells["Wait for an answer"] == ("32 s", "no data: no requests")
    assert cells["Satisfaction"] == ("80.0 %", "no data: no answers")
    assert cells["Leaving"] == ("no data: no churn dates", "24.0 % a year")
    assert cells["Survey response"] == ("20.0 %", "no data: no surveys")
    # no leaving dates: the agents' 0 % a year is no figure at all
    cells = {row[0]: row[1:] for row in relations.mirror_table(figures, {"agents.left_on": "no dates"}.get).iter_rows()}
    assert cells["Leaving"] == ("no data in this scope", "no data: no dates")
    cells = {row[0]: row[1:] for row in relations.mirror_table(figures).iter_rows()}
    assert cells["Survey response"] == ("20.0 %", "0.00 answers per agent")
    assert cells["Wait for an answer"] == ("32 s", "no data in this scope")
    assert "agents employed at any time" in relations.mirror_definitions()


# ---- the page --------------------------------------------------------------------------------------

def page(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("views/customer_vs_agent.py").run()


def test_page_on_the_demo_store_shows_both_correlations_the_scatter_and_the_table(app_env):
    # a shared link carries the page's own controls too
    at = page(**{"from": "2025-01-01", "to": "2025-12-31", "cva_view": "within", "cva_measure": "NPS"})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) == {"Pooled r", "Within-team r"}
    assert float(metrics["Pooled r"]) > 0
    # the mirror's bands, both sides month by month, and the team-month scatter
    assert [c.key for c in at.get("plotly_chart")] == [
        "cva_mirror", "chart_customer_vs_agent_monthly", "cva_scatter"]
    table = at.dataframe[-1].value
    assert list(table.columns) == ["Measure", "Customer", "Agent"] and len(table) == 5
    assert not table["Agent"].str.contains("no data").any()
    assert any(relations.CAUTION in c.value for c in at.caption)
    assert at.radio(key="cva_view").value == "within" and at.radio(key="cva_measure").value == "NPS"
    assert "minus the team's own mean" in at.get("plotly_chart")[2].proto.spec
    at.selectbox(key="cva_lag").select(2).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="cva_lag").value == 2


def test_page_on_a_sparse_store_says_what_the_agent_side_needs(sparse_store_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(sparse_store_path))
    at = page()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("agent_surveys" in i.value for i in at.info)
    agent_cells = " ".join(at.dataframe[-1].value["Agent"])
    assert agent_cells.count("no data: no agent requests to managers were imported (agent_requests is empty)") == 2
    assert agent_cells.count("no data: no agent survey answers were imported (agent_surveys is empty)") == 2
    assert "no data: no customer records were imported" in " ".join(at.dataframe[-1].value["Customer"])
    # the mirror's survey and request levers say what is missing; tenure and authority still band
    captions = [c.value for c in at.caption]
    assert "Agent satisfaction: No data: no agent survey answers were imported (agent_surveys is empty)." in captions
    assert ("Manager answers within 72 h: No data: no agent requests to managers were imported "
            "(agent_requests is empty).") in captions
    assert any(c.startswith("Customers of the longest-serving quarter of agents") for c in captions)
