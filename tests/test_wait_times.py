"""Wait-times page: CSAT and abandonment by wait bucket, the hour-by-weekday heatmaps, the staffing
what-if's inputs (all from the page's own query files, on the 60,000-contact demo store), Erlang C
against docs/design.md's reference values, and the page itself in AppTest."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
from collections import Counter
from fractions import Fraction

import polars as pl
import pytest
from conftest import ROOT
from statsmodels.stats.proportion import proportion_confint
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, config, erlang, figures, filters, store

YEAR = filters.Filters(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
WAIT_BUCKETS = ["0-10 s", "10-30 s", "30-60 s", "1-2 min", "2-5 min", "5-10 min", "10 min+"]
BUCKET_EDGES_S = [0, 10, 30, 60, 120, 300, 600, math.inf]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
HEATMAPS = ("asa", "service_level", "abandon_rate")  # measures of wait_times_by_hour


@functools.cache
def query_catalogue() -> catalogue.Catalogue:
    return catalogue.load(config.queries_dir())


def query(name: str) -> catalogue.Query:
    return query_catalogue().get(name)


def run(con, name: str, chosen: filters.Filters = YEAR):
    values = {**chosen.as_params(), **catalogue.page_param_defaults()}
    return catalogue.execute(con, query(name), values)


def bucket_of(wait_s: int) -> str:
    return next(label for label, low, high in zip(WAIT_BUCKETS, BUCKET_EDGES_S, BUCKET_EDGES_S[1:])
                if low <= wait_s < high)


def in_year(row) -> bool:
    return dt.datetime(2025, 1, 1) <= row["queued_at"] < dt.datetime(2026, 1, 1)


# ---- CSAT by wait ---------------------------------------------------------------------------------

def test_csat_falls_as_the_wait_grows(con):
    frame = run(con, "wait_times_csat_by_wait")
    assert frame["wait_bucket"].to_list() == WAIT_BUCKETS
    csat = frame["csat"].to_list()
    assert csat[0] - csat[-1] > 30, csat  # the demo's CSAT falls with log(wait): a wide gap
    readable = [c for c, n in zip(csat, frame["survey_answers"]) if n >= 100]
    assert len(readable) >= 5
    assert all(later <= earlier + 2 for earlier, later in zip(readable, readable[1:])), readable


def test_csat_buckets_and_wilson_bounds_match_an_independent_count(con, raw):
    answered_wait = {r["interaction_id"]: r["wait_s"] for r in raw.interactions if in_year(r) and not r["abandoned"]}
    answers, satisfied = Counter(), Counter()
    for survey in raw.customer_surveys:
        if survey["interaction_id"] in answered_wait and survey["csat"] is not None:
            bucket = bucket_of(answered_wait[survey["interaction_id"]])
            answers[bucket] += 1
            satisfied[bucket] += survey["csat"] >= 4
    for row in run(con, "wait_times_csat_by_wait").iter_rows(named=True):
        n, k = answers[row["wait_bucket"]], satisfied[row["wait_bucket"]]
        assert row["survey_answers"] == n
        assert row["csat"] == pytest.approx(100 * k / n)
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert row["csat_low"] < row["csat"] < row["csat_high"]
        assert (row["csat_low"], row["csat_high"]) == pytest.approx((100 * low, 100 * high), abs=0.01)


# ---- abandonment by wait --------------------------------------------------------------------------

def test_abandon_rate_rises_with_time_in_queue_within_each_channel(con):
    frame = run(con, "wait_times_abandon_by_wait")
    channels = sorted(set(frame["series"]) - {"All channels"})
    assert channels == ["chat", "messaging", "phone"] and "All channels" in set(frame["series"])
    for channel in channels:
        rows = frame.filter(series=channel)
        assert rows["wait_bucket"].to_list() == WAIT_BUCKETS, "every line lists every bucket, in wait order"
        readable = rows.filter(pl.col("offered") >= 50)
        rates = readable["abandon_rate"].to_list()
        assert rates[-1] - rates[0] > 10, (channel, rates)
        # broadly monotone: no bucket sits clearly (beyond both intervals) below the one before
        lows, highs = readable["abandon_rate_low"].to_list(), readable["abandon_rate_high"].to_list()
        assert all(high >= low for low, high in zip(lows, highs[1:])), (channel, rates)
        for row in rows.iter_rows(named=True):
            if row["offered"]:
                assert row["abandon_rate_low"] <= row["abandon_rate"] <= row["abandon_rate_high"]


def test_abandon_counts_match_an_independent_count_and_the_pool_is_their_sum(con, raw):
    offered, abandoned = Counter(), Counter()
    for r in raw.interactions:
        if in_year(r):
            key = (r["channel"], bucket_of(r["wait_s"]))
            offered[key] += 1
            abandoned[key] += r["abandoned"]
    frame = run(con, "wait_times_abandon_by_wait")
    for row in frame.filter(series="All channels").iter_rows(named=True):
        bucket = row["wait_bucket"]
        assert row["offered"] == sum(n for (_, b), n in offered.items() if b == bucket)
        assert row["abandoned"] == sum(n for (_, b), n in abandoned.items() if b == bucket)
    for row in frame.filter(series="phone").iter_rows(named=True):
        assert (row["offered"], row["abandoned"]) == (offered["phone", row["wait_bucket"]],
                                                      abandoned["phone", row["wait_bucket"]])
    one_channel = run(con, "wait_times_abandon_by_wait", filters.Filters(YEAR.date_from, YEAR.date_to, channel="phone"))
    assert set(one_channel["series"]) == {"phone"}, "no pooled line repeating the only channel"


def test_the_x_axis_runs_in_wait_order_on_every_line(con):
    frame = run(con, "wait_times_abandon_by_wait", filters.Filters(dt.date(2025, 3, 1), dt.date(2025, 3, 7)))
    figure = figures.build(query("wait_times_abandon_by_wait").spec, frame)
    assert [list(trace.x) for trace in figure.data] == [WAIT_BUCKETS] * len(figure.data)


# ---- heatmaps -------------------------------------------------------------------------------------

@pytest.mark.parametrize("measure", HEATMAPS)
def test_heatmaps_have_seven_weekdays_monday_first(con, measure):
    frame = run(con, "wait_times_by_hour")
    assert list(dict.fromkeys(frame["weekday"])) == WEEKDAYS
    assert frame["offered"].min() >= 10
    as_drawn = query("wait_times_by_hour").spec.but(kind="heatmap", z=measure)  # as the page draws it
    figure = figures.build(as_drawn, frame)
    assert list(figure.data[0].y) == WEEKDAYS, "Monday is the top row, Sunday the bottom"


def test_heatmap_cells_equal_an_independent_computation(con, raw):
    # Wednesday 14:00 over 2025, from the raw rows
    cell = [r for r in raw.interactions if in_year(r) and r["queued_at"].weekday() == 2 and r["queued_at"].hour == 14]
    answered = [r for r in cell if not r["abandoned"]]
    abandoned = [r for r in cell if r["abandoned"]]
    within_20s = sum(r["wait_s"] <= 20 for r in answered)
    late_abandons = sum(r["wait_s"] > 20 for r in abandoned)
    expected = {
        "asa": sum(r["wait_s"] for r in answered) / len(answered),
        "service_level": 100 * within_20s / (len(answered) + late_abandons),
        "abandon_rate": 100 * len(abandoned) / len(cell),
    }
    row = run(con, "wait_times_by_hour").filter(weekday="Wednesday", hour=14).row(0, named=True)
    assert row["offered"] == len(cell)
    for column, value in expected.items():
        assert row[column] == pytest.approx(value)


# ---- staffing what-if inputs ----------------------------------------------------------------------

def test_staffing_inputs_are_the_busiest_hour_of_the_week_and_the_aht(con, raw):
    rows = [r for r in raw.interactions if in_year(r)]
    contacts = Counter((r["queued_at"].weekday(), r["queued_at"].hour) for r in rows)
    days = Counter(dt.date(2025, 1, 1).replace(month=m, day=d).weekday()
                   for m in range(1, 13) for d in range(1, calendar.monthrange(2025, m)[1] + 1))
    rate, (weekday, hour) = max((n / days[w], (w, h)) for (w, h), n in contacts.items())
    answered = [r for r in rows if not r["abandoned"]]
    found = run(con, "wait_times_staffing_inputs").row(0, named=True)
    assert (found["busiest_weekday"], found["busiest_hour"]) == (WEEKDAYS[weekday], hour)
    assert found["contacts_per_hour"] == pytest.approx(rate)
    assert found["aht_s"] == pytest.approx(sum(r["handle_s"] for r in answered) / len(answered))


def test_staffing_inputs_do_not_count_days_past_the_data(con):
    # the store ends on 31 Dec 2025: a period running on into 2026 must give the same hourly rate
    inside = run(con, "wait_times_staffing_inputs", filters.Filters(dt.date(2025, 10, 1), dt.date(2025, 12, 31)))
    beyond = run(con, "wait_times_staffing_inputs", filters.Filters(dt.date(2025, 10, 1), dt.date(2026, 3, 31)))
    assert beyond["contacts_per_hour"][0] == pytest.approx(inside["contacts_per_hour"][0])
    before = run(con, "wait_times_staffing_inputs", filters.Filters(dt.date(2024, 1, 1), dt.date(2024, 3, 31)))
    assert before.is_empty()


@pytest.mark.parametrize("chosen", [YEAR, filters.Filters(dt.date(2025, 3, 1), dt.date(2025, 3, 31), channel="phone")])
def test_staffing_inputs_estimate_patience_from_abandoned_and_answered_waits(con, raw, chosen):
    # exponential patience's maximum-likelihood mean: answered waits are censored patience, so every
    # second waited counts and only abandons are counted as ends
    rows = [r for r in raw.interactions if chosen.date_from <= r["queued_at"].date() <= chosen.date_to
            and chosen.channel in (None, r["channel"]) and r["wait_s"] is not None]
    abandoned = [r for r in rows if r["abandoned"]]
    found = run(con, "wait_times_staffing_inputs", chosen).row(0, named=True)
    assert (found["patience_waits"], found["patience_abandoned"]) == (len(rows), len(abandoned))
    assert found["patience_s"] == pytest.approx(sum(r["wait_s"] for r in rows) / len(abandoned))
    assert found["patience_s"] > sum(r["wait_s"] for r in abandoned) / len(abandoned), \
        "longer than the abandoned waits alone: the answered callers' waits count too"


# ---- Erlang C ---------------------------------------------------------------------------------------

def erlang_c_from_design(a: Fraction, n: int) -> Fraction:
    """DESIGN section 4's formula, in exact fractions with factorials (fine for small N)."""
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def test_design_reference_staffing():
    # 100 contacts per 30 min, AHT 180 s, 80 % within 20 s
    assert erlang.traffic(100, 180, 1800) == 10
    assert erlang.agents_needed(100, 180, 20, 0.80, 1800) == 14
    plan = erlang.staffing(100, 180, 14, 20, 1800)
    assert round(plan.service_level, 3) == 0.888
    assert round(plan.occupancy, 3) == 0.714
    assert round(plan.p_wait, 3) == 0.174
    assert plan.asa_s == pytest.approx(plan.p_wait * 180 / 4)
    assert erlang.service_level(100, 180, 13, 20, 1800) < 0.80, "13 agents fall short"


def test_design_reference_traffic_of_20_erlangs():
    assert erlang.erlang_c(20, 26) == pytest.approx(0.15, abs=0.01)
    assert erlang.erlang_c(20, 30) == pytest.approx(0.025, abs=0.002)


@pytest.mark.parametrize("a, n", [(Fraction(10), 14), (Fraction(10), 11), (Fraction(41, 4), 12), (Fraction(20), 26),
                                  (Fraction(1, 2), 1), (Fraction(60), 75)])
def test_erlang_c_equals_the_factorial_formula(a, n):
    assert erlang.erlang_c(float(a), n) == pytest.approx(float(erlang_c_from_design(a, n)), rel=1e-9)


def test_large_traffic_gives_finite_sane_values():
    # 300 erlangs: factorials would overflow; check against the Erlang B recursion instead
    a, n = 300.0, 320
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    expected = n * b / (n - a * (1 - b))
    assert erlang.erlang_c(a, n) == pytest.approx(expected, rel=1e-9)
    arrivals, aht_s, interval_s = 3000, 180, 1800  # 300 erlangs
    needed = erlang.agents_needed(arrivals, aht_s, 20, 0.80, interval_s)
    assert 300 < needed < 330
    plan = erlang.staffing(arrivals, aht_s, needed, 20, interval_s)
    assert 0.80 <= plan.service_level < 1 and 0 < plan.p_wait < 1 and math.isfinite(plan.asa_s)
    assert 0.9 < plan.occupancy < 1
    assert erlang.erlang_c(3000.0, 3100) < erlang.erlang_c(3000.0, 3050) < 1


def test_more_agents_raise_service_level_and_cut_asa():
    agents = range(11, 30)
    levels = [erlang.service_level(100, 180, n, 20, 1800) for n in agents]
    waits = [erlang.asa(100, 180, n, 1800) for n in agents]
    assert all(a < b for a, b in zip(levels, levels[1:]))
    assert all(a > b for a, b in zip(waits, waits[1:]))


@pytest.mark.parametrize("agents", [0, 5, 10])
def test_agents_at_or_below_traffic_mean_an_unbounded_queue(agents):
    result = erlang.staffing(100, 180, agents, 20, 1800)  # 10 erlangs
    assert result.p_wait == 1 and result.asa_s == math.inf and result.service_level == 0
    assert result.occupancy == 1 and not result.stable


def test_staffing_table_runs_from_the_first_stable_head_count():
    table = erlang.staffing_table(100, 180, 20, 1800, up_to_agents=19)
    assert table["Agents"].to_list() == list(range(11, 20))
    assert table.filter(Agents=14)["Service level % (20 s)"][0] == 88.8


def test_an_impossible_target_is_refused():
    with pytest.raises(ValueError):
        erlang.agents_needed(100, 180, 20, 1.0, 1800)


# ---- the page -------------------------------------------------------------------------------------

def page(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("views/wait_times.py").run()


def test_page_follows_a_link_then_the_data_then_explains_an_empty_period(app_env):
    # a shared link sets the what-if: DESIGN's example, with 4 agents lost
    at = page(calls="100", aht="180", lost="4", measure="abandon_rate")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == 3  # CSAT and abandonment by wait, one heatmap
    assert "Abandon rate" in at.get("plotly_chart")[2].proto.spec
    values = [(m.label, m.value) for m in at.metric]
    assert values[:5] == [("Agents", "14"), ("Service level (20 s)", "88.8 %"), ("ASA", "7.8 s"),
                          ("Occupancy", "71.4 %"), ("P(wait)", "17.4 %")]
    assert ("Agents", "10") in values[5:] and ("ASA", "unbounded") in values[5:]
    assert any("grows without bound" in w.value for w in at.warning)

    # cleared boxes fall back to the filtered data's busiest hour and AHT
    at.number_input(key="calls").set_value(None)
    at.number_input(key="aht").set_value(None).run()
    assert not at.exception and not at.error
    con = store.open_read_only(app_env)
    try:
        found = run(con, "wait_times_staffing_inputs", filters.read_choices(con).defaults()).row(0, named=True)
    finally:
        con.close()
    calls, aht = max(0.1, round(found["contacts_per_hour"] / 2, 1)), round(found["aht_s"])
    needed = erlang.agents_needed(calls, aht, 20, 0.80, 1800)
    assert (at.metric[0].label, at.metric[0].value) == ("Agents", str(needed))
    assert ("Agents", str(needed - 4)) in [(m.label, m.value) for m in at.metric[5:]], "still 4 agents lost"

    # a period before the data: each section says what it lacks, nothing breaks
    at.sidebar.date_input(key="from").set_value(dt.date(2024, 6, 1))
    at.sidebar.date_input(key="to").set_value(dt.date(2024, 6, 30)).run()
    assert not at.exception and not at.error
    infos = " ".join(i.value for i in at.info)
    assert "No hour of the week" in infos and "enter contacts per interval and AHT" in infos
    assert not any(m.label == "Agents" for m in at.metric)


def test_page_renders_on_a_store_with_only_contacts_and_surveys(sparse_store_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(sparse_store_path))
    at = page()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any(m.label == "Agents" for m in at.metric)
