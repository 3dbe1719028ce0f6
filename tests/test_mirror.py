"""The mirror in bands (issue 14): each lever's bands and their customers' outcomes equal a plain
Python computation from the raw rows, for several filters; every band holds at least the
respondent threshold; too few agents give thirds or halves, or "too little data", with a message;
and the readings in words state exactly the figures computed."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from fractions import Fraction

import polars as pl
import pytest
from scipy import stats
from test_sections import draw, page_data

from dashboard import config, layout, mirror, readings, relations, store
from dashboard.sections import customer_vs_agent

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
QUARTER = (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
Z = 1.959963984540054


# ---- the independent computation, from raw rows -------------------------------------------------

def training_rows(store_path) -> list[dict]:
    con = store.open_read_only(store_path)
    try:
        cur = con.execute("select * from training")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


def served_agents(raw, period, site=None, team=None) -> dict[int, dict]:
    """Per agent of the filtered site/team: the counts of their answered contacts in the period."""
    teams = {t["team_id"]: t for t in raw.teams}
    in_scope = lambda team_id: ((site is None or teams[team_id]["site"] == site)
                                and (team is None or teams[team_id]["team_name"] == team))
    agents = {a["agent_id"]: a for a in raw.agents if in_scope(a["team_id"])}
    start, end = dt.datetime.combine(period[0], dt.time()), dt.datetime.combine(period[1] + dt.timedelta(days=1), dt.time())
    surveys = defaultdict(list)
    for s in raw.customer_surveys:
        surveys[s["interaction_id"]].append(s)
    out: dict[int, dict] = {}
    for i in raw.interactions:
        if i["abandoned"] or i["agent_id"] not in agents or not in_scope(i["team_id"]):
            continue
        if not start <= i["queued_at"] < end:
            continue
        c = out.setdefault(i["agent_id"], defaultdict(float))
        if i["handle_s"] is not None:
            c["handled"] += 1
            c["handle_s"] += i["handle_s"]
            c["handle_s_squares"] += i["handle_s"] ** 2
        if i["resolved"] is not None:
            c["resolution_known"] += 1
            c["first_contact_resolved"] += bool(i["resolved"] and not i["repeat_within_7d"])
        if i["escalation_depth"] is not None:
            c["depth_recorded"] += 1
            c["escalated"] += i["escalation_depth"] > 0
        for s in surveys.get(i["interaction_id"], ()):
            if s["csat"] is not None:
                c["csat_answers"] += 1
                c["csat_satisfied"] += s["csat"] >= 4
            if s["nps"] is not None:
                c["nps_answers"] += 1
                c["promoters"] += s["nps"] >= 9
                c["detractors"] += s["nps"] <= 6
    return out


def lever_ranks(raw, training, lever: str, served: dict, period) -> dict[int, object]:
    """Each ranked agent's lever value (survey levers: the exact mean of their answers)."""
    if lever in ("satisfaction", "enps", "pressure"):
        answers = defaultdict(list)
        for s in raw.agent_surveys:
            if period[0] <= s["surveyed_at"] <= period[1] and s[lever] is not None and s["agent_id"] in served:
                answers[s["agent_id"]].append(s[lever])
        return {a: Fraction(sum(v), len(v)) for a, v in answers.items()}
    agents = {a["agent_id"]: a for a in raw.agents}
    if lever == "authority":
        return {a: Fraction(str(agents[a]["authority_limit"])) for a in served}
    if lever == "tenure":
        return {a: ((min(agents[a]["left_on"] or period[1], period[1]) - agents[a]["hired_on"]).days)
                for a in served}
    hours = defaultdict(float)
    for t in training:
        if period[0] <= t["held_on"] <= period[1]:
            hours[t["agent_id"]] += t["training_hours"]
    return {a: hours.get(a, 0.0) for a in served}


def quantile_bands(ranks: dict[int, object], least: int) -> list[list[int]]:
    """ntile's bands of the agents ordered by value then id, with the most bands (4, 3 or 2) that
    keep every band at `least` agents; [] when even two cannot."""
    ordered = [a for _, a in sorted((v, a) for a, v in ranks.items())]
    n = len(ordered)
    k = next((k for k in (4, 3, 2) if n >= k * least), 0)
    bands, start = [], 0
    for i in range(k):
        size = n // k + (1 if i < n % k else 0)
        bands.append(ordered[start:start + size])
        start += size
    return bands


def manager_bands(raw, served: dict, period) -> list[list[int]]:
    """[missed, met]: agents by whether their team's manager answered >= 80 % of the team's requests
    opened in the period within 72 h; teams without requests are left out."""
    team_of = {a["agent_id"]: a["team_id"] for a in raw.agents}
    opened, within = defaultdict(int), defaultdict(int)
    start, end = dt.datetime.combine(period[0], dt.time()), dt.datetime.combine(period[1] + dt.timedelta(days=1), dt.time())
    for r in raw.agent_requests:
        if start <= r["opened_at"] < end:
            opened[team_of[r["agent_id"]]] += 1
            within[team_of[r["agent_id"]]] += (r["answered_at"] is not None
                                               and r["answered_at"] <= r["opened_at"] + dt.timedelta(hours=72))
    bands = [[], []]
    for agent in sorted(served):
        team = team_of[agent]
        if opened[team]:
            bands[within[team] >= 0.8 * opened[team]].append(agent)
    return bands


def summed(served: dict, agents: list[int]) -> dict:
    total = defaultdict(float)
    for agent in agents:
        for key, value in served[agent].items():
            total[key] += value
    total["per_agent"] = [served[agent] for agent in agents]
    return total


# outcome -> (an agent's y, its n): what the design effect clusters
CLUSTERED = {
    "csat": (lambda a: a["csat_satisfied"], "csat_answers"),
    "nps": (lambda a: a["promoters"] - a["detractors"], "nps_answers"),
    "fcr": (lambda a: a["first_contact_resolved"], "resolution_known"),
    "escalation": (lambda a: a["escalated"], "depth_recorded"),
    "aht": (lambda a: a["handle_s"], "handled"),
}


def design_effect(sums: dict, outcome: str, independent_variance: float) -> float:
    """The band's rate's cluster-robust variance (each agent a cluster), straight from its agents'
    counts, over the variance for independent answers; at least 1."""
    y_of, n_name = CLUSTERED[outcome]
    pairs = [(y_of(a), a[n_name]) for a in sums["per_agent"] if a.get(n_name, 0) > 0]
    if len(pairs) < 2 or independent_variance <= 0:
        return 1.0
    g, total_n = len(pairs), sum(n for _, n in pairs)
    rate = sum(y for y, _ in pairs) / total_n
    clustered = g / (g - 1) * sum((y - rate * n) ** 2 for y, n in pairs) / total_n ** 2
    return max(1.0, clustered / independent_variance)


def share_deff(sums: dict, outcome: str, hits: str, n: str) -> float:
    p = sums[hits] / sums[n]
    return design_effect(sums, outcome, p * (1 - p) / sums[n])


def wilson(k, n):
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def expected_outcomes(sums: dict) -> dict[str, tuple[float, float, float, int]]:
    """(value, low, high, n) of every outcome, by hand, on the effective n (n / design effect):
    Wilson, the NPS variance, Student's t."""
    out = {}
    for key, hits, n in (("csat", "csat_satisfied", "csat_answers"), ("fcr", "first_contact_resolved", "resolution_known"),
                         ("escalation", "escalated", "depth_recorded")):
        deff = share_deff(sums, key, hits, n)
        low, high = wilson(sums[hits] / deff, sums[n] / deff)
        out[key] = (100 * sums[hits] / sums[n], 100 * low, 100 * high, int(sums[n]))
    n = sums["nps_answers"]
    p, d = sums["promoters"] / n, sums["detractors"] / n
    variance = (p + d - (p - d) ** 2) / n
    half = Z * math.sqrt(design_effect(sums, "nps", variance) * variance)
    out["nps"] = (100 * (p - d), 100 * (p - d - half), 100 * (p - d + half), int(n))
    n = sums["handled"]
    mean = sums["handle_s"] / n
    sd2 = (sums["handle_s_squares"] - n * mean * mean) / (n - 1)
    deff = design_effect(sums, "aht", sd2 / n)
    half = stats.t.ppf(0.975, n / deff - 1) * math.sqrt(deff * sd2 / n)
    out["aht"] = (mean, mean - half, mean + half, int(n))
    return out


def newcombe(top: dict, bottom: dict) -> tuple[float, float, float]:
    """The CSAT difference of two bands and its Newcombe interval, on effective counts, by hand."""
    d1 = share_deff(top, "csat", "csat_satisfied", "csat_answers")
    d2 = share_deff(bottom, "csat", "csat_satisfied", "csat_answers")
    p1, p2 = top["csat_satisfied"] / top["csat_answers"], bottom["csat_satisfied"] / bottom["csat_answers"]
    (l1, u1) = wilson(top["csat_satisfied"] / d1, top["csat_answers"] / d1)
    (l2, u2) = wilson(bottom["csat_satisfied"] / d2, bottom["csat_answers"] / d2)
    diff = p1 - p2
    return diff, diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def expected_bands(raw, training, lever, period, least, site=None, team=None) -> list[tuple[list[int], dict]]:
    served = served_agents(raw, period, site, team)
    if lever == "manager_72h":
        bands = manager_bands(raw, served, period)
    else:
        bands = quantile_bands(lever_ranks(raw, training, lever, served, period), least)
    return [(agents, summed(served, agents)) for agents in bands]


def drawn_levers(con, period, **scope) -> dict[str, mirror.LeverBands]:
    data = page_data(con, "customer-vs-agent", period, **scope)
    return mirror.lever_bands(data.frame(customer_vs_agent.LEVERS_QUERY), config.min_respondents())


def close(a, b, tol=1e-9):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


@pytest.fixture(scope="module")
def training(store_path):
    return training_rows(store_path)


@pytest.fixture(scope="module")
def first_site(raw):
    return sorted({t["site"] for t in raw.teams})[0]


# ---- the panel's figures against the raw rows ---------------------------------------------------

@pytest.mark.parametrize("scope", ["year", "site", "quarter"])
def test_every_levers_bands_and_outcomes_equal_the_raw_rows(con, raw, training, first_site, scope):
    period = QUARTER if scope == "quarter" else YEAR
    site = first_site if scope == "site" else None
    levers = drawn_levers(con, period, **({"site": site} if site else {}))
    least = config.min_respondents()
    for key in mirror.LEVERS:
        expected = expected_bands(raw, training, key, period, least, site=site)
        item = levers[key]
        assert len(item.bands) == len(expected) >= 2, (key, item.problem)
        for band, (agents, sums) in zip(item.bands, expected):
            assert band.agents == len(agents) >= least, key
            if item.lever.survey:
                assert band.respondents == len(agents)
            for outcome_key, (value, low, high, n) in expected_outcomes(sums).items():
                found = mirror.estimate(mirror.OUTCOMES[outcome_key], band.row)
                assert found.n == n, (key, outcome_key)
                assert close(found.value, value) and close(found.low, low, 1e-7) and close(found.high, high, 1e-7), \
                    (key, band.name, outcome_key, found, (value, low, high))


def test_the_satisfaction_quarters_band_figure_is_the_pooled_share_of_the_bands_answers(con, raw):
    item = drawn_levers(con, YEAR)["satisfaction"]
    served = served_agents(raw, YEAR)
    for band, (agents, _) in zip(item.bands, expected_bands(raw, [], "satisfaction", YEAR, config.min_respondents())):
        answers = [s["satisfaction"] for s in raw.agent_surveys
                   if s["agent_id"] in agents and YEAR[0] <= s["surveyed_at"] <= YEAR[1] and s["satisfaction"] is not None]
        assert close(band.figure, 100 * sum(a >= 4 for a in answers) / len(answers))
        assert set(agents) <= set(served)


def test_differences_use_newcombes_interval_for_shares(con, raw, training):
    item = drawn_levers(con, YEAR)["satisfaction"]
    (_, bottom), *_, (_, top) = expected_bands(raw, training, "satisfaction", YEAR, config.min_respondents())
    diff, low, high = newcombe(top, bottom)
    # one agent's customers are alike: the bands' intervals are wider than for independent answers
    assert share_deff(top, "csat", "csat_satisfied", "csat_answers") > 1
    found = mirror.difference(mirror.OUTCOMES["csat"], item.bands[-1].row, item.bands[0].row)
    assert close(found.value, 100 * diff) and close(found.low, 100 * low, 1e-7) and close(found.high, 100 * high, 1e-7)


# ---- the respondent threshold -------------------------------------------------------------------

def respondents(raw, period, lever="satisfaction") -> int:
    served = served_agents(raw, period)
    return len({s["agent_id"] for s in raw.agent_surveys
                if period[0] <= s["surveyed_at"] <= period[1] and s[lever] is not None and s["agent_id"] in served})


def test_too_few_respondents_for_quarters_gives_thirds_with_a_message(con, raw, training, monkeypatch):
    n = respondents(raw, YEAR)
    least = n // 3          # 3 x least <= n < 4 x least
    assert 3 * least <= n < 4 * least
    monkeypatch.setenv("DASHBOARD_MIN_RESPONDENTS", str(least))
    item = drawn_levers(con, YEAR)["satisfaction"]
    expected = expected_bands(raw, training, "satisfaction", YEAR, least)
    assert [b.name for b in item.bands] == ["Bottom third", "Middle third", "Top third"]
    assert [b.respondents for b in item.bands] == [len(a) for a, _ in expected]
    assert min(b.respondents for b in item.bands) >= least
    assert item.problem == (f"{n} respondents to the agent survey in these filters: thirds rather than quarters, "
                            f"so that every band holds at least {least}.")
    drawn = draw(customer_vs_agent.mirror_panel, con, "customer-vs-agent", period=YEAR)
    captions = [c["text"] for c in drawn.of("caption")]
    assert f"Agent satisfaction: {item.problem}" in captions


def test_too_few_for_two_bands_shows_no_band_and_says_too_little_data(con, raw, monkeypatch):
    n = respondents(raw, YEAR)
    least = n // 2 + 1
    monkeypatch.setenv("DASHBOARD_MIN_RESPONDENTS", str(least))
    data = page_data(con, "customer-vs-agent", YEAR)
    frame = data.frame(customer_vs_agent.LEVERS_QUERY)
    survey_rows = frame.filter(pl.col("lever") == "satisfaction")
    # one row with the count only: no band sums leave the query
    assert survey_rows.height == 1 and survey_rows["band"].to_list() == [None]
    assert survey_rows["csat_answers"].to_list() == [None] and survey_rows["lever_sum"].to_list() == [None]
    item = mirror.lever_bands(frame, least)["satisfaction"]
    assert not item.comparable
    expected = (f"Too little data: {n} respondents to the agent survey in these filters; two bands of at least "
                f"{least} need {2 * least}.")
    assert item.problem == expected
    assert readings.lever_reading(item, "csat") == f"Agent satisfaction: {expected}"
    line = draw(customer_vs_agent.mirror_line, con, "overview", period=YEAR)
    assert not line.of("strong")
    assert [c["text"] for c in line.of("caption")] == [
        "The mirror (customers' CSAT by their agents' satisfaction): no data: "
        f"{n} respondents to the agent survey in these filters; two bands of at least {least} need {2 * least}."]


def test_a_manager_band_below_the_threshold_is_hidden_with_a_message(con, raw, monkeypatch):
    met, missed = (len(b) for b in reversed(manager_bands(raw, served_agents(raw, YEAR), YEAR)))
    least = min(met, missed) + 1
    monkeypatch.setenv("DASHBOARD_MIN_RESPONDENTS", str(least))
    item = drawn_levers(con, YEAR)["manager_72h"]
    assert not item.bands
    small = "met" if met < missed else "missed"
    assert f"manager {small} the 72 h target ({min(met, missed)} agents)" in item.problem
    assert item.problem.startswith(f"Too little data: a comparison needs at least {least} agents on each side")


@pytest.mark.parametrize("period", [YEAR, QUARTER])
def test_every_band_the_query_returns_holds_the_threshold_and_one_split_per_lever(con, period):
    frame = page_data(con, "customer-vs-agent", period).frame(customer_vs_agent.LEVERS_QUERY)
    banded = frame.filter(pl.col("band").is_not_null())
    assert banded["band_size"].min() >= config.min_respondents()
    # one split per lever, so no two bands overlap and no difference of bands isolates fewer agents
    assert banded.group_by("lever").agg(pl.col("bands").n_unique())["bands"].max() == 1
    # a survey lever's band gives no range (its ends would be one agent's own mean)
    survey = banded.filter(pl.col("survey"))
    assert survey.height and survey["lever_low"].null_count() == survey.height


# ---- readings ----------------------------------------------------------------------------------

def test_reading_of_a_clear_association_states_the_computed_figures(con, raw, training):
    item = drawn_levers(con, YEAR)["satisfaction"]
    (low_agents, bottom), *_, (top_agents, top) = expected_bands(raw, training, "satisfaction", YEAR,
                                                                  config.min_respondents())
    hi, lo = expected_outcomes(top)["csat"], expected_outcomes(bottom)["csat"]
    d, d_low, d_high = newcombe(top, bottom)
    assert d_low > 0   # the demo's story: a clear association
    assert readings.lever_reading(item, "csat") == (
        f"Customers of the most satisfied quarter of agents were satisfied {hi[0]:.1f} % of the time "
        f"(95 % CI {hi[1]:.1f} % to {hi[2]:.1f} %; n = {hi[3]:,} answers, {len(top_agents)} agents) against "
        f"{lo[0]:.1f} % for the least satisfied quarter of agents (95 % CI {lo[1]:.1f} % to {lo[2]:.1f} %; "
        f"n = {lo[3]:,} answers, {len(low_agents)} agents): {100 * d:.1f} points higher "
        f"(95 % CI {100 * d_low:+.1f} to {100 * d_high:+.1f} points). Association, not proof of cause.")
    assert readings.headline(item) == (
        f"Customers' CSAT: {hi[0]:.1f} % (n = {hi[3]:,}) with the most satisfied quarter of agents, "
        f"{lo[0]:.1f} % (n = {lo[3]:,}) with the least satisfied; association, not proof of cause.")


def synthetic_bands(rows: list[dict], least: int = 5) -> mirror.LeverBands:
    base = {"lever": "satisfaction", "bands": 2, "survey": True, "lever_sum": 50.0, "lever_count": 100,
            "lever_misses": 0, "lever_low": None, "lever_high": None}
    frame = pl.DataFrame([{**base, "band": i + 1, "band_agents": 10, "band_size": 10, **r} for i, r in enumerate(rows)])
    return mirror.lever_bands(frame, least)["satisfaction"]


def test_reading_says_no_detectable_link_when_the_interval_of_the_difference_spans_zero():
    item = synthetic_bands([{"csat_answers": 400, "csat_satisfied": 300}, {"csat_answers": 500, "csat_satisfied": 380}])
    p1, p2 = 380 / 500, 300 / 400
    (l1, u1), (l2, u2) = wilson(380, 500), wilson(300, 400)
    d_low, d_high = p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    assert d_low < 0 < d_high
    text = readings.lever_reading(item, "csat")
    assert text.endswith(f": {100 * (p1 - p2):.1f} points higher (95 % CI {100 * d_low:+.1f} to {100 * d_high:+.1f} "
                         "points), an interval that spans 0: no detectable link. Association, not proof of cause.")
    assert "the most satisfied half of agents were satisfied 76.0 % of the time" in text


def team_months(values: dict[str, list[tuple[int, int]]]) -> pl.DataFrame:
    """Team-month counts: per team, (agent satisfied of 20 answers, customers satisfied of 1000)."""
    rows = []
    for team, months in values.items():
        for i, (agent, customer) in enumerate(months):
            rows.append({"team_name": team, "month": dt.date(2025, i + 1, 1), "customer_answers": 1000,
                         "customer_satisfied": customer, "nps_answers": 0, "nps_promoters": 0, "nps_detractors": 0,
                         "agent_answers": 20, "agent_satisfied": agent, "agent_respondents": 20})
    return pl.DataFrame(rows)


def test_team_month_reading_between_teams_but_not_within_a_team():
    # teams differ (better agents, better customers); inside a team the months move independently
    frame = team_months({"A": [(10, 700), (12, 690), (11, 710), (13, 705)],
                         "B": [(14, 780), (16, 770), (15, 790), (17, 775)],
                         "C": [(18, 860), (19, 850), (17, 855), (20, 845)]})
    result = relations.relationship(frame, "CSAT", 0, 8)
    agent = [100 * a / 20 for a in (10, 12, 11, 13, 14, 16, 15, 17, 18, 19, 17, 20)]
    customer = [c / 10 for c in (700, 690, 710, 705, 780, 770, 790, 775, 860, 850, 855, 845)]
    pooled = stats.pearsonr(agent, customer)
    demeaned = [(x - sum(agent[t:t + 4]) / 4, y - sum(customer[t:t + 4]) / 4)
                for t in (0, 4, 8) for x, y in zip(agent[t:t + 4], customer[t:t + 4])]
    within = stats.pearsonr(*zip(*demeaned))
    p_ci, w_ci = pooled.confidence_interval(0.95), within.confidence_interval(0.95)
    assert p_ci.low > 0 and w_ci.low < 0 < w_ci.high
    assert readings.team_month_reading(result) == (
        f"Pooled over teams and months: r = {pooled.statistic:+.2f} (95 % CI {p_ci.low:+.2f} to {p_ci.high:+.2f}), "
        "n = 12 team-months: customers score higher where agents are more satisfied. "
        f"Within a team, month against month: r = {within.statistic:+.2f} (95 % CI {w_ci.low:+.2f} to "
        f"{w_ci.high:+.2f}), n = 12 team-months: no detectable link. The link is between teams (which team, "
        "which manager), not within a team from month to month. Association, not proof of cause.")


def test_team_month_reading_with_too_few_pairs_says_too_little_data():
    result = relations.relationship(team_months({"A": [(10, 700), (12, 690)]}), "CSAT", 0, 8)
    assert readings.team_month_reading(result) == (
        "Too little data: 2 team-month pairs, too few for a correlation. Association, not proof of cause.")


# ---- the pages ---------------------------------------------------------------------------------

def test_the_mirror_leads_customer_vs_agent_and_follows_the_overviews_first_tiles():
    assert layout.sections("customer-vs-agent")[0] is customer_vs_agent.mirror_panel
    overview = layout.sections("overview")
    assert overview[1] is customer_vs_agent.mirror_line


def test_panel_draws_a_chart_a_reading_per_lever_and_the_full_table(con):
    drawn = draw(customer_vs_agent.mirror_panel, con, "customer-vs-agent", {"cva_outcome": "aht"}, period=YEAR)
    levers = drawn_levers(con, YEAR)
    captions = [c["text"] for c in drawn.of("caption")]
    for item in levers.values():
        assert readings.lever_reading(item, "aht") in captions
    chart = drawn.of("chart")[0]
    assert len(chart["figure"].data[0].x) == sum(len(item.bands) for item in levers.values())
    assert f"Filters in force: {drawn.data.chosen.describe()}." in " ".join(captions)
    full = drawn.of("table")[0]["frame"]
    assert full.height == sum(len(item.bands) for item in levers.values())


def test_a_lever_nobody_could_be_ranked_by_says_so_in_words():
    frame = pl.DataFrame({"lever": ["satisfaction"], "bands": [0], "band": [None], "band_agents": [1],
                          "band_size": [1]}, schema_overrides={"band": pl.Int64})
    levers = mirror.lever_bands(frame, 5)
    assert levers["satisfaction"].problem == ("Too little data: 1 respondent to the agent survey in these filters; "
                                              "two bands of at least 5 need 10.")
    assert levers["tenure"].problem == "Too little data: no agents with customers in these filters."
    absent = mirror.lever_bands(frame, 5, lambda need: "no training was imported" if need == "training" else None)
    assert absent["training"].problem == "No data: no training was imported."
