"""Erlang C staffing arithmetic (docs/design.md section 4) for the wait-times what-if. Pure functions.

With arrivals a per interval of interval_s seconds and handle time aht_s, the offered traffic is
A = a * aht_s / interval_s erlangs. With N agents (N > A):

    P(wait) = (A^N/N! * N/(N-A)) / (sum_{k<N} A^k/k! + A^N/N! * N/(N-A))
    ASA     = P(wait) * aht_s / (N - A)
    SL(t)   = 1 - P(wait) * exp(-(N - A) * t / aht_s)
    occupancy = A / N

With N <= A the queue grows without bound: everyone waits (P(wait) = 1), ASA is infinite and no
contact is answered within any target (SL = 0).

P(wait) is not computed from factorials (they overflow near N = 170) but from Erlang B, which is
the Poisson probability of N over the probability of at most N:  B = pmf(N; A) / cdf(N; A), taken
in logs by scipy; then C = N B / (N - A (1 - B)). This holds for thousands of erlangs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl
from scipy.stats import poisson

MAX_EXTRA_AGENTS = 100_000  # agents_needed gives up beyond A + this (only for an unreachable target)


def traffic(arrivals: float, aht_s: float, interval_s: float) -> float:
    """Offered load in erlangs: the agents' worth of work arriving per unit of time."""
    return arrivals * aht_s / interval_s


def erlang_c(traffic_erlangs: float, agents: int) -> float:
    """Probability that a contact has to queue, with `agents` agents and A erlangs offered."""
    if agents <= traffic_erlangs:
        return 1.0
    if traffic_erlangs <= 0:
        return 0.0
    erlang_b = math.exp(poisson.logpmf(agents, traffic_erlangs) - poisson.logcdf(agents, traffic_erlangs))
    return agents * erlang_b / (agents - traffic_erlangs * (1 - erlang_b))


def service_level(arrivals: float, aht_s: float, agents: int, target_s: float, interval_s: float) -> float:
    """Share of contacts answered within target_s seconds (0-1)."""
    load = traffic(arrivals, aht_s, interval_s)
    if agents <= load:
        return 0.0
    return 1 - erlang_c(load, agents) * math.exp(-(agents - load) * target_s / aht_s)


def asa(arrivals: float, aht_s: float, agents: int, interval_s: float) -> float:
    """Average speed of answer in seconds; math.inf when the queue grows without bound."""
    load = traffic(arrivals, aht_s, interval_s)
    if agents <= load:
        return math.inf
    return erlang_c(load, agents) * aht_s / (agents - load)


def occupancy(arrivals: float, aht_s: float, agents: int, interval_s: float) -> float:
    """Share of the agents' time spent handling contacts (0-1); 1 when overloaded."""
    if agents <= 0:
        return 1.0
    return min(1.0, traffic(arrivals, aht_s, interval_s) / agents)


def agents_needed(arrivals: float, aht_s: float, target_s: float, sl_target: float, interval_s: float) -> int:
    """The fewest agents whose service level reaches sl_target (0-1) within target_s seconds."""
    if not 0 < sl_target < 1:
        raise ValueError(f"the service-level target must lie strictly between 0 and 1, not {sl_target}")
    load = traffic(arrivals, aht_s, interval_s)
    agents = max(1, math.floor(load) + 1)  # the fewest agents with a finite queue
    while service_level(arrivals, aht_s, agents, target_s, interval_s) < sl_target:
        agents += 1
        if agents > load + MAX_EXTRA_AGENTS:
            raise ValueError("the service-level target cannot be reached")
    return agents


@dataclass(frozen=True)
class Staffing:
    """What N agents give for one interval's arrivals."""
    agents: int
    traffic_erlangs: float
    p_wait: float
    service_level: float   # 0-1
    asa_s: float           # math.inf when the queue grows without bound
    occupancy: float       # 0-1

    @property
    def stable(self) -> bool:
        """False when agents <= traffic: the queue grows without bound."""
        return self.agents > self.traffic_erlangs


def staffing(arrivals: float, aht_s: float, agents: int, target_s: float, interval_s: float) -> Staffing:
    return Staffing(
        agents=agents, traffic_erlangs=traffic(arrivals, aht_s, interval_s),
        p_wait=erlang_c(traffic(arrivals, aht_s, interval_s), agents),
        service_level=service_level(arrivals, aht_s, agents, target_s, interval_s),
        asa_s=asa(arrivals, aht_s, agents, interval_s),
        occupancy=occupancy(arrivals, aht_s, agents, interval_s),
    )


def staffing_table(arrivals: float, aht_s: float, target_s: float, interval_s: float,
                   up_to_agents: int) -> pl.DataFrame:
    """Service level, ASA, occupancy and P(wait) for every head count from the fewest with a
    finite queue (A + 1, rounded down) to up_to_agents; percentages 0-100, rounded for display."""
    first = max(1, math.floor(traffic(arrivals, aht_s, interval_s)) + 1)
    rows = [staffing(arrivals, aht_s, n, target_s, interval_s) for n in range(first, max(first, up_to_agents) + 1)]
    return pl.DataFrame({
        "Agents": [r.agents for r in rows],
        f"Service level % ({target_s:g} s)": [round(100 * r.service_level, 1) for r in rows],
        "ASA (s)": [round(r.asa_s, 1) for r in rows],
        "Occupancy %": [round(100 * r.occupancy, 1) for r in rows],
        "P(wait) %": [round(100 * r.p_wait, 1) for r in rows],
    })


def tiles(result: Staffing, target_s: float, baseline: Staffing | None = None) -> list[dict]:
    """st.metric arguments for a staffing result, with changes against a baseline when given."""
    def change(now: float, then: float, unit: str) -> str | None:
        if baseline is None or not (math.isfinite(now) and math.isfinite(then)):
            return None
        return f"{now - then:+.1f} {unit}"

    then = baseline or result
    return [
        dict(label="Agents", value=result.agents, delta=None if baseline is None else result.agents - then.agents,
             delta_color="off"),
        dict(label=f"Service level ({target_s:g} s)", value=f"{100 * result.service_level:.1f} %",
             delta=change(100 * result.service_level, 100 * then.service_level, "pts")),
        dict(label="ASA", value=f"{result.asa_s:.1f} s" if result.stable else "unbounded",
             delta=change(result.asa_s, then.asa_s, "s"), delta_color="inverse"),
        dict(label="Occupancy", value=f"{100 * result.occupancy:.1f} %",
             delta=change(100 * result.occupancy, 100 * then.occupancy, "pts"), delta_color="off"),
        dict(label="P(wait)", value=f"{100 * result.p_wait:.1f} %", delta_color="inverse",
             delta=change(100 * result.p_wait, 100 * then.p_wait, "pts"),
             help="Erlang C: the chance a contact has to queue at all."),
    ]
