"""Erlang A (dashboard.erlang.erlang_a) against docs/design.md section 12's reference values, the
values pyworkforce publishes for its own Erlang A, and an independent numerical oracle: the M/M/N+M
birth-death chain solved by linear algebra, with the service level from the matrix exponential of a
waiting caller's absorbing chain. No incomplete gamma function is used here."""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.linalg import expm

from dashboard import erlang

# pyworkforce 0.5.4's own ErlangA, vendored verbatim (tests/oracles/pyworkforce/__init__.py says why)
sys.path.insert(0, str(Path(__file__).resolve().parent / "oracles"))
from pyworkforce.queuing.abandonment import ErlangA  # noqa: E402

DESIGN = dict(arrivals=100, aht_s=180, patience_s=300, interval_s=1800)   # 100 calls per 30 min, AHT 3 min

# pyworkforce's published values (github.com/rodrigo-arenas/pyworkforce at commit
# ca4892502d2d92cc996c9fde96293ff90b560426): pyworkforce/queuing/tests/test_abandonment.py,
# test_erlanga_regression_metrics (14 agents, to the digits it rounds to; the file last changed in
# 20c14395f387d093cf4e1b10002d75ebd08427e5), and docs/guide/erlanga.md's required_positions example
# (13 agents for 80 % within 20 s, occupancy <= 85 %, abandonment <= 5 %; printed to 3 digits).
# Times there are in minutes. The PyPI release reachable here (0.5.1) predates its ErlangA, so that
# release's queuing models are vendored verbatim under tests/oracles/pyworkforce (used over the grid below).
PYWORKFORCE = [
    # agents, digits, P(wait), P(abandon), occupancy, ASA (min, all arrivals), SL(20 s) (answered / all)
    (14, (5, 6, 6, 6, 6), (0.14526, 0.013984, 0.704297, 0.069919, 0.916792)),
    (13, (3, 3, 3, 3, 3), (0.226, 0.025, 0.750, 0.125, 0.858)),
]


# ---- the oracle ---------------------------------------------------------------------------------------

def chain(arrivals, aht_s, patience_s, agents, target_s, interval_s) -> dict:
    """Erlang A's figures from the M/M/N+M chain itself: birth rate lambda, death rate
    min(k, N) mu + max(k - N, 0) theta, truncated where a state's weight falls below 1e-15 of the
    total; the stationary distribution solves pi Q = 0, sum(pi) = 1 with numpy."""
    lam, mu, theta = arrivals / interval_s, 1 / aht_s, 1 / patience_s

    def death(k):
        return min(k, agents) * mu + max(k - agents, 0) * theta

    log_weight, log_total, k = 0.0, 0.0, 0   # only to find where to truncate
    while k <= agents or log_weight - log_total > math.log(1e-15):
        k += 1
        log_weight += math.log(lam / death(k))
        log_total = np.logaddexp(log_total, log_weight)
    states = k + 1
    generator = np.zeros((states, states))
    for k in range(states):
        if k + 1 < states:
            generator[k, k + 1] = lam
        if k:
            generator[k, k - 1] = death(k)
        generator[k, k] = -generator[k].sum()
    system = np.vstack([generator.T[:-1], np.ones(states)])
    pi = np.linalg.solve(system, np.r_[np.zeros(states - 1), 1.0])

    queued = np.arange(states) - agents
    p_wait = pi[agents:].sum()
    queue = (queued[agents:] * pi[agents:]).sum()
    busy = (np.minimum(np.arange(states), agents) * pi).sum()
    p_abandon = theta * queue / lam

    # a caller arriving to find j ahead (states 0..J), then "answered" (J+1) and "hung up" (J+2):
    # it moves up at N mu + j theta (an answer or an abandonment ahead of it) and leaves at theta
    ahead = states - agents
    tagged = np.zeros((ahead + 2, ahead + 2))
    for j in range(ahead):
        tagged[j, j - 1 if j else ahead] = agents * mu + j * theta
        tagged[j, ahead + 1] = theta
        tagged[j, j] = -tagged[j].sum()
    answered_by_t = expm(tagged * target_s)[:ahead, ahead]
    within = pi[:agents].sum() + (pi[agents:] * answered_by_t).sum()
    return dict(p_wait=p_wait, p_abandon=p_abandon, occupancy=busy / agents, asa_s=queue / lam,
                service_level=within, service_level_of_answered=within / (1 - p_abandon))


GRID = [dict(arrivals=arrivals, aht_s=aht_s, patience_s=patience_s, interval_s=1800, target_s=target_s,
             agents=max(1, round(share * arrivals * aht_s / 1800)))
        for (arrivals, aht_s, patience_s, share), target_s in zip(
            itertools.product((30, 100, 250), (120, 300), (45, 300, 1200), (0.7, 1.0, 1.3)),
            itertools.cycle((20, 60, 10)))]
MEASURES = ("p_wait", "p_abandon", "occupancy", "service_level", "service_level_of_answered")


# ---- reference values -----------------------------------------------------------------------------------

def test_design_section_12_reference_values():
    result = erlang.erlang_a(**DESIGN, agents=14, target_s=20)
    assert round(result.p_wait, 5) == 0.14526
    assert round(result.p_abandon, 6) == 0.013984
    assert round(result.occupancy, 6) == 0.704297
    assert round(result.asa_s / 60, 6) == 0.069919          # minutes, mean wait over all arrivals
    assert round(result.service_level, 6) == 0.916792       # answered within 20 s / all arrivals
    assert result.service_level_of_answered == pytest.approx(result.service_level / (1 - result.p_abandon))


@pytest.mark.parametrize("agents, digits, expected", PYWORKFORCE)
def test_pyworkforce_published_values(agents, digits, expected):
    result = erlang.erlang_a(**DESIGN, agents=agents, target_s=20)
    found = (result.p_wait, result.p_abandon, result.occupancy, result.asa_s / 60, result.service_level)
    assert [round(value, places) for value, places in zip(found, digits)] == list(expected)


def test_pyworkforce_published_head_count_for_80_percent_in_20_s():
    assert erlang.agents_needed_a(**DESIGN, target_s=20, sl_target=0.80) == 13
    assert erlang.erlang_a(**DESIGN, agents=12, target_s=20).service_level < 0.80


# ---- the oracle over a grid ---------------------------------------------------------------------------

def test_grid_is_wide_enough():
    assert len(GRID) >= 50
    loads = [g["arrivals"] * g["aht_s"] / g["interval_s"] for g in GRID]
    assert any(g["agents"] < load for g, load in zip(GRID, loads)), "some with fewer agents than erlangs"
    assert any(g["agents"] > load for g, load in zip(GRID, loads))


def test_erlang_a_equals_the_chain_within_1e_6_over_the_grid():
    worst = dict.fromkeys((*MEASURES, "asa_min"), 0.0)
    for inputs in GRID:
        found, expected = erlang.erlang_a(**inputs), chain(**inputs)
        for measure in MEASURES:
            worst[measure] = max(worst[measure], abs(getattr(found, measure) - expected[measure]))
        worst["asa_min"] = max(worst["asa_min"], abs(found.asa_s - expected["asa_s"]) / 60)
    print("worst difference from the chain over", len(GRID), "inputs:", worst)
    assert max(worst.values()) < 1e-6, worst


def test_hundreds_of_agents_stay_finite_and_equal_the_chain():
    for agents in (300, 380, 420):   # 400 erlangs: under, near and over
        inputs = dict(arrivals=4000, aht_s=180, patience_s=300, interval_s=1800, target_s=20, agents=agents)
        found, expected = erlang.erlang_a(**inputs), chain(**inputs)
        for measure in MEASURES:
            assert getattr(found, measure) == pytest.approx(expected[measure], abs=1e-6), (agents, measure)
        assert found.asa_s == pytest.approx(expected["asa_s"], abs=6e-5)


# ---- behaviour ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("agents", [11, 14, 20, 25])
def test_long_patience_tends_to_erlang_c(agents):
    # the gap is of order AHT / patience (11 agents on 10 erlangs: 2.2e-6 in P(wait) at 1e6 x AHT), so
    # it must be small at 1e6 x AHT and a hundred times smaller at 1e8 x AHT
    plan = erlang.staffing(100, 180, agents, 20, 1800)
    for times_aht, tolerance in ((1e6, 1e-5), (1e8, 1e-7)):
        patient = erlang.erlang_a(**{**DESIGN, "patience_s": times_aht * 180}, agents=agents, target_s=20)
        assert patient.p_wait == pytest.approx(plan.p_wait, abs=tolerance)
        assert patient.service_level == pytest.approx(plan.service_level, abs=tolerance)
        assert patient.occupancy == pytest.approx(plan.occupancy, abs=tolerance)
        assert patient.asa_s == pytest.approx(plan.asa_s, rel=10 * tolerance)
        assert patient.p_abandon < tolerance


def test_less_patience_means_more_abandonment_and_shorter_waits():
    results = [erlang.erlang_a(**{**DESIGN, "patience_s": p}, agents=12, target_s=20) for p in (3600, 600, 120, 30)]
    abandon = [r.p_abandon for r in results]
    assert all(a < b for a, b in zip(abandon, abandon[1:])), abandon
    asa = [r.asa_s for r in results]
    assert all(a > b for a, b in zip(asa, asa[1:])), asa


def test_fewer_agents_than_erlangs_is_a_finite_queue():
    result = erlang.erlang_a(**DESIGN, agents=8, target_s=20)   # 10 erlangs
    assert 0 < result.p_abandon < 1 and 0 < result.service_level < 1 and math.isfinite(result.asa_s)
    assert result.p_wait > erlang.erlang_a(**DESIGN, agents=9, target_s=20).p_wait
    assert result.occupancy < 1


def test_more_agents_raise_the_service_level():
    levels = [erlang.erlang_a(**DESIGN, agents=n, target_s=20).service_level for n in range(1, 30)]
    assert all(a < b for a, b in zip(levels, levels[1:]))


@pytest.mark.parametrize("sl_target, target_s", [(0.5, 10), (0.8, 20), (0.95, 60), (0.99, 5)])
def test_agents_needed_a_is_the_fewest_meeting_the_target(sl_target, target_s):
    needed = erlang.agents_needed_a(**DESIGN, target_s=target_s, sl_target=sl_target)
    assert erlang.erlang_a(**DESIGN, agents=needed, target_s=target_s).service_level >= sl_target
    if needed > 1:
        assert erlang.erlang_a(**DESIGN, agents=needed - 1, target_s=target_s).service_level < sl_target
    assert needed <= erlang.agents_needed(100, 180, target_s, sl_target, 1800), "abandonment never adds agents"


@pytest.mark.parametrize("call", [
    lambda: erlang.erlang_a(**DESIGN, agents=0, target_s=20),
    lambda: erlang.erlang_a(**{**DESIGN, "patience_s": 0}, agents=5, target_s=20),
    lambda: erlang.agents_needed_a(**DESIGN, target_s=20, sl_target=1.0),
])
def test_impossible_inputs_are_refused(call):
    with pytest.raises(ValueError):
        call()


def test_comparison_table_names_each_measure_with_its_definition():
    c_plan = erlang.staffing(100, 180, 14, 20, 1800)
    a_plan = erlang.erlang_a(**DESIGN, agents=13, target_s=20)
    table = erlang.comparison_table(c_plan, a_plan, 20)
    assert table.columns == ["Measure", "Definition", "Erlang C, 14 agents", "Erlang A, 13 agents"]
    rows = {r["Measure"]: r for r in table.iter_rows(named=True)}
    assert rows["Service level % (20 s)"]["Definition"] == "answered within 20 s / all arrivals"
    assert rows["Service level of answered % (20 s)"]["Definition"] == "answered within 20 s / answered"
    assert rows["P(abandon) %"]["Erlang C, 14 agents"] == 0
    assert rows["P(wait) %"]["Erlang A, 13 agents"] == 22.6            # pyworkforce's 0.226
    assert rows["Service level % (20 s)"]["Erlang C, 14 agents"] == 88.8  # DESIGN section 4's 0.888


def test_far_fewer_agents_than_erlangs_means_everyone_waits_not_a_crash():
    """The 100M-contact bench's busiest hour (800 erlangs) searched up from one agent: Erlang B rounded
    to 1 and erlang_a raised 'math domain error' on the page. With one agent busy all the time, the
    answered share is what that agent can serve: 1 call per AHT against 16,000 an hour."""
    from dashboard import erlang

    one = erlang.erlang_a(arrivals=16000, aht_s=180, patience_s=260, agents=1, target_s=20, interval_s=3600)
    assert one.p_wait == 1.0
    assert one.p_abandon == pytest.approx(1 - (1 / 180) / (16000 / 3600), rel=1e-9)
    assert one.occupancy == pytest.approx(1.0, abs=1e-9)
    needed = erlang.agents_needed_a(16000, 180, 260, 20, 0.8, 3600)
    assert erlang.erlang_a(16000, 180, 260, needed, 20, 3600).service_level >= 0.8
    assert erlang.erlang_a(16000, 180, 260, needed - 1, 20, 3600).service_level < 0.8


def test_far_more_agents_than_erlangs_means_nobody_waits_not_a_crash():
    """The same search, higher up: with thousands of agents for 800 erlangs e^z overflowed ('math range
    error'). Nobody waits; nothing is abandoned."""
    from dashboard import erlang

    many = erlang.erlang_a(arrivals=16000, aht_s=180, patience_s=260, agents=3000, target_s=20, interval_s=3600)
    assert many.p_wait == pytest.approx(0.0, abs=1e-12) and many.p_abandon == pytest.approx(0.0, abs=1e-12)
    assert many.service_level == pytest.approx(1.0, abs=1e-12)
    assert many.occupancy == pytest.approx(800 / 3000, rel=1e-9)


# ---- pyworkforce itself over the grid ------------------------------------------------------------------

def pyworkforce(arrivals, aht_s, patience_s, agents, target_s, interval_s) -> dict:
    """pyworkforce's ErlangA for the same inputs, its minutes turned into our seconds."""
    model = ErlangA(transactions=arrivals, aht=aht_s / 60, asa=target_s / 60, interval=interval_s / 60,
                    patience=patience_s / 60)
    return dict(p_wait=model.waiting_probability(agents), p_abandon=model.abandonment_probability(agents),
                occupancy=model.achieved_occupancy(agents), asa_min=model.average_speed_of_answer(agents),
                service_level=model.service_level(agents))


def test_erlang_a_equals_pyworkforce_within_1e_6_over_the_grid():
    worst = dict.fromkeys(("p_wait", "p_abandon", "occupancy", "service_level", "asa_min"), 0.0)
    for inputs in GRID:
        found, expected = erlang.erlang_a(**inputs), pyworkforce(**inputs)
        for measure in ("p_wait", "p_abandon", "occupancy", "service_level"):
            worst[measure] = max(worst[measure], abs(getattr(found, measure) - expected[measure]))
        worst["asa_min"] = max(worst["asa_min"], abs(found.asa_s / 60 - expected["asa_min"]))
    print("worst difference from pyworkforce 0.5.4 over", len(GRID), "inputs:", worst)
    assert max(worst.values()) < 1e-6, worst


def test_agents_needed_a_equals_pyworkforce_required_positions_over_the_grid():
    """pyworkforce searches up from ceil(erlangs), ours from one agent; the service level rises with
    every agent, so pyworkforce's head count is ours unless ours is below ceil(erlangs)."""
    below_erlangs = 0
    for inputs in GRID:
        inputs = {k: v for k, v in inputs.items() if k != "agents"}
        for sl_target in (0.5, 0.8, 0.95):
            ours = erlang.agents_needed_a(**inputs, sl_target=sl_target)
            model = ErlangA(transactions=inputs["arrivals"], aht=inputs["aht_s"] / 60, asa=inputs["target_s"] / 60,
                            interval=inputs["interval_s"] / 60, patience=inputs["patience_s"] / 60)
            theirs = model.required_positions(service_level=sl_target)["raw_positions"]
            assert theirs == max(ours, math.ceil(model.intensity)), (inputs, sl_target)
            below_erlangs += ours < math.ceil(model.intensity)
    assert below_erlangs < len(GRID) * 3, "every head count fell below the erlangs: the check would be empty"
