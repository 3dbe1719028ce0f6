"""Erlang C staffing arithmetic (docs/design.md section 4) for the wait-times what-if, and Erlang A beside it
(the same queue with abandonment: erlang_a, below). Pure functions.

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
from scipy.special import expit, gammainc, gammaln
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


# ---- Erlang A: the same queue with abandonment -------------------------------------------------------

ERLANG_A_SOURCES = ("Garnett, Mandelbaum and Reiman (2002), Designing a call center with impatient customers, "
                    "M&SOM 4(3); Mandelbaum and Zeltyn, The Palm/Erlang-A queue, with applications to call centers")
# P(a, z) below this is computed from its series instead: gammainc loses it to underflow near 1e-308
_TINY_REGULARIZED_GAMMA = 1e-280


@dataclass(frozen=True)
class StaffingA:
    """What N agents give for one interval's arrivals when callers abandon (Erlang A)."""
    agents: int
    traffic_erlangs: float
    patience_s: float
    p_wait: float                      # P(an arrival finds every agent busy)
    p_abandon: float                   # P(an arrival hangs up before an answer)
    occupancy: float                   # agents' busy share: (1 - P(abandon)) A / N
    asa_s: float                       # mean wait over ALL arrivals, abandoned ones' waits included
    service_level: float               # answered within T / all arrivals
    service_level_of_answered: float   # answered within T / answered


def _log_kummer(x: float, z: float) -> float:
    """log M(1, x+1, z) = log sum_{j>=0} z^j / ((x+1)(x+2)...(x+j)), Kummer's function, for x, z > 0.

    M(1, x+1, z) = x e^z z^(-x) gamma(x, z) (the lower incomplete gamma function), taken in logs from the
    regularized P(x, z) = gammainc(x, z). Where P underflows (z far below x: hundreds of agents with
    long patience), the series itself converges geometrically (ratio below z/x < 1) and is summed."""
    regularized = gammainc(x, z)
    if regularized > _TINY_REGULARIZED_GAMMA:
        return math.log(x) + z - x * math.log(z) + gammaln(x) + math.log(regularized)
    term = total = 1.0
    j = 0
    while term > 1e-17 * total:
        j += 1
        term *= z / (x + j)
        total += term
    return math.log(total)


def erlang_a(arrivals: float, aht_s: float, patience_s: float, agents: int, target_s: float,
             interval_s: float) -> StaffingA:
    """Erlang A (M/M/N+M): Poisson arrivals, exponential handle times (mean aht_s) and exponential
    patience (mean patience_s); a caller still queued when patience runs out hangs up. Sources:
    Garnett, Mandelbaum and Reiman (2002); Mandelbaum and Zeltyn, "The Palm/Erlang-A queue".

    With lambda = arrivals / interval_s, mu = 1 / aht_s, theta = 1 / patience_s, A = lambda / mu,
    x = N mu / theta, y = lambda / theta, rho = y / x, E = Erlang B(N, A), gamma(.,.) the lower
    incomplete gamma function, M(1, x+1, y) = x e^y y^(-x) gamma(x, y) and u = exp(-theta T):

        P(wait)            = M E / (1 + (M - 1) E)
        P(answered | wait) = gamma(x+1, y) / (y gamma(x, y))          [= (1 - 1/M) / rho]
        P(abandon)         = P(wait) (1 - P(answered | wait))
        ASA (all arrivals) = P(abandon) / theta                        [Little: theta E[queue] = lambda P(abandon)]
        occupancy          = (1 - P(abandon)) A / N
        SL(T) (all)        = 1 - P(wait) + P(wait) (gamma(x+1, y) - gamma(x+1, y u)) / (y gamma(x, y))
        SL(T) (answered)   = SL(T) (all) / (1 - P(abandon))

    SL(T): a caller finding j ahead reaches an agent after a sum of exponentials with rates
    N mu + i theta (i = j..0), answered if that comes before its own patience; summed over the queue
    it finds, that is the incomplete-gamma expression. Every term is taken in logs (_log_kummer), so
    hundreds of agents and very long patience stay finite. N <= A is allowed: abandonment keeps the
    queue finite. As patience grows, Erlang A tends to Erlang C."""
    if agents < 1:
        raise ValueError(f"Erlang A needs at least one agent, not {agents}")
    if patience_s <= 0:
        raise ValueError(f"the mean patience must be positive, not {patience_s}")
    load = traffic(arrivals, aht_s, interval_s)
    if load <= 0:
        return StaffingA(agents, 0.0, patience_s, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0)
    x, y = agents * patience_s / aht_s, arrivals / interval_s * patience_s
    log_blocking = poisson.logpmf(agents, load) - poisson.logcdf(agents, load)   # Erlang B, as in erlang_c
    log_m = _log_kummer(x, y)
    # 1 - B from its log, exactly: with far fewer agents than erlangs B rounds to 1, and then every
    # caller waits (log1p(-1) has no value: the 100M-contact bench's busiest hour found it)
    not_blocked = -math.expm1(log_blocking)
    # 1 / (1 + e^z) by scipy's logistic, which neither overflows for large z nor loses small P(wait)
    p_wait = 1.0 if not_blocked <= 0 else float(expit(log_blocking + log_m - math.log(not_blocked)))
    # gamma(x+1, z) / gamma(x, z) = z M(1, x+2, z) / ((x+1) M(1, x+1, z)); the z cancels against y
    log_m_next = _log_kummer(x + 1, y)
    answered_if_waiting = math.exp(math.log(x / (x + 1)) + log_m_next - log_m)
    p_abandon = p_wait * (1 - answered_if_waiting)
    # gamma(x+1, y u) / gamma(x+1, y) = u^(x+1) e^(y (1-u)) M(1, x+2, y u) / M(1, x+2, y)
    theta_t = target_s / patience_s
    y_later = y * math.exp(-theta_t)
    still_waiting = math.exp(-(x + 1) * theta_t + y * -math.expm1(-theta_t)
                             + _log_kummer(x + 1, y_later) - log_m_next) if target_s > 0 else 1.0
    within = 1 - p_wait + p_wait * answered_if_waiting * (1 - still_waiting)
    return StaffingA(
        agents=agents, traffic_erlangs=load, patience_s=patience_s, p_wait=p_wait, p_abandon=p_abandon,
        occupancy=(1 - p_abandon) * load / agents, asa_s=p_abandon * patience_s,
        service_level=within, service_level_of_answered=within / (1 - p_abandon))


def agents_needed_a(arrivals: float, aht_s: float, patience_s: float, target_s: float, sl_target: float,
                    interval_s: float) -> int:
    """The fewest agents whose Erlang A service level (answered within target_s / all arrivals)
    reaches sl_target (0-1). The service level rises with every agent added, so the head count is
    bracketed by doubling and then halved down to the first that meets the target."""
    if not 0 < sl_target < 1:
        raise ValueError(f"the service-level target must lie strictly between 0 and 1, not {sl_target}")

    def meets(agents: int) -> bool:
        return erlang_a(arrivals, aht_s, patience_s, agents, target_s, interval_s).service_level >= sl_target

    short, enough = 0, 1   # 0 agents answer nobody
    while not meets(enough):
        short, enough = enough, 2 * enough
        if enough > traffic(arrivals, aht_s, interval_s) + MAX_EXTRA_AGENTS:
            raise ValueError("the service-level target cannot be reached")
    while enough - short > 1:
        middle = (short + enough) // 2
        short, enough = (short, middle) if meets(middle) else (middle, enough)
    return enough


def comparison_table(erlang_c_plan: Staffing, erlang_a_plan: StaffingA, target_s: float) -> pl.DataFrame:
    """Erlang C's and Erlang A's plans side by side, each measure named with its definition;
    percentages 0-100 and seconds rounded for display (None for Erlang C's unbounded ASA)."""
    c, a = erlang_c_plan, erlang_a_plan
    rows = [
        ("P(wait) %", "arrivals finding every agent busy / all arrivals", 100 * c.p_wait, 100 * a.p_wait),
        ("P(abandon) %", "arrivals hanging up before an answer / all arrivals (Erlang C assumes none)",
         0.0, 100 * a.p_abandon),
        ("ASA (s)", "mean wait over all arrivals, abandoned callers' waits included", c.asa_s, a.asa_s),
        (f"Service level % ({target_s:g} s)", f"answered within {target_s:g} s / all arrivals",
         100 * c.service_level, 100 * a.service_level),
        (f"Service level of answered % ({target_s:g} s)", f"answered within {target_s:g} s / answered",
         100 * c.service_level, 100 * a.service_level_of_answered),
        ("Occupancy %", "agents' busy share: answered work / agents", 100 * c.occupancy, 100 * a.occupancy),
    ]
    return pl.DataFrame({
        "Measure": [r[0] for r in rows],
        "Definition": [r[1] for r in rows],
        f"Erlang C, {c.agents} agents": [round(r[2], 1) if math.isfinite(r[2]) else None for r in rows],
        f"Erlang A, {a.agents} agents": [round(r[3], 1) for r in rows],
    })
