"""The mirror in bands: agents grouped by an agent-side lever (queries/customer_vs_agent_levers.sql
does the grouping in DuckDB, so only band sums reach Python), and each band's customer outcomes
with 95 % intervals; the top band against the bottom one, with the interval of the difference.
Plain functions on polars frames, tested without Streamlit (docs/design.md section 5).

One agent's customers are alike (the same agent answered them), so a band's answers are not
independent: intervals use the band's effective number of answers, n divided by the design effect
(Kish), where the design effect is the cluster-robust variance of the band's rate, with each agent
a cluster, over the variance for independent answers (never below 1). The query returns, per band
and outcome, the sums over agents of y^2, y n and n^2 this takes; rows without them (a reading of
another chart) are treated as independent answers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

Z = stats.norm.ppf(0.975)


@dataclass(frozen=True)
class Lever:
    label: str            # the lever's name in a table
    high: str             # who the top band's agents are, in words ("most satisfied")
    low: str              # and the bottom band's
    survey: bool          # ranked by the agents' own survey answers (bands count respondents)
    unit: str             # how the band's own figure reads
    needs: tuple = ()     # what the store must hold to rank agents (coverage.Coverage.absent)

    def figure(self, row: dict) -> float | None:
        """The band's own value of the lever, from its sums (pooled over the band, never one agent's)."""
        count = row.get("lever_count")
        if row.get("lever_sum") is None or not count:
            return None
        total, misses = float(row["lever_sum"]), float(row.get("lever_misses") or 0)
        if self.unit == "%":
            return 100.0 * total / float(count)
        if self.unit == "eNPS":
            return 100.0 * (total - misses) / float(count)
        return total / float(count)


LEVERS = {
    "satisfaction": Lever("Agent satisfaction", "most satisfied", "least satisfied", True, "%",
                          ("agent_surveys.satisfaction",)),
    "enps": Lever("eNPS", "highest-eNPS", "lowest-eNPS", True, "eNPS", ("agent_surveys.enps",)),
    "manager_72h": Lever("Manager answers within 72 h", "", "", False, "%", ("agent_requests.answered_at",)),
    "training": Lever("Training hours", "most trained", "least trained", False, "h", ("training",)),
    "tenure": Lever("Tenure", "longest-serving", "newest", False, "years"),
    "authority": Lever("Authority limit", "highest-authority", "lowest-authority", False, "money"),
    "pressure": Lever("Pressure felt", "most pressured", "least pressured", True, "of 5", ("agent_surveys.pressure",)),
}

SPLITS = {4: ("quarter", ("Bottom quarter", "Second quarter", "Third quarter", "Top quarter")),
          3: ("third", ("Bottom third", "Middle third", "Top third")),
          2: ("half", ("Bottom half", "Top half"))}
MANAGER_BANDS = ("Manager missed the 72 h target", "Manager met the 72 h target")


@dataclass(frozen=True)
class Outcome:
    label: str
    kind: str            # "share", "net" (NPS) or "mean"
    counts: tuple        # (hits, n) for a share; (promoters, detractors, n) for NPS; (sum, squares, n)
    unit: str            # "%", "" (NPS points) or "s"
    n_words: str         # what n counts
    # the prefix of the band's per-agent sums (<prefix>_yy, _yn, _nn, _agents) for its design
    # effect; None: the rows carry none, answers count as independent
    cluster: str | None = None


OUTCOMES = {
    "csat": Outcome("CSAT", "share", ("csat_satisfied", "csat_answers"), "%", "answers", "csat"),
    "nps": Outcome("NPS", "net", ("promoters", "detractors", "nps_answers"), "", "answers", "nps"),
    "fcr": Outcome("FCR", "share", ("first_contact_resolved", "resolution_known"), "%", "contacts", "fcr"),
    "escalation": Outcome("Escalation rate", "share", ("escalated", "depth_recorded"), "%", "contacts", "escalation"),
    "aht": Outcome("AHT", "mean", ("handle_s", "handle_s_squares", "handled"), "s", "contacts", "aht"),
}


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    n: int


def _count(row: dict, name: str) -> float:
    value = row.get(name)
    return 0.0 if value is None else float(value)


def _numerator(row: dict, outcome: Outcome) -> float:
    """The summed y of the outcome's rate: hits, net promoters, or handle seconds."""
    if outcome.kind == "net":
        return _count(row, outcome.counts[0]) - _count(row, outcome.counts[1])
    return _count(row, outcome.counts[0])


def _independent_variance(row: dict, outcome: Outcome) -> float:
    """The variance of the band's rate if every answer or contact were independent."""
    n = _count(row, outcome.counts[-1])
    if outcome.kind == "share":
        p = _count(row, outcome.counts[0]) / n
        return p * (1 - p) / n
    if outcome.kind == "net":
        return _net(row, outcome)[1]
    return _mean(row, outcome)[1] / n


def design_effect(outcome: Outcome, row: dict) -> float:
    """The cluster-robust variance of the band's rate R = sum y / sum n, each agent a cluster
    (G/(G-1) sum (y_i - R n_i)^2 / (sum n)^2), over its variance for independent answers; at least
    1, and 1 when the row lacks the per-agent sums or has fewer than two agents with a figure."""
    sums = [row.get(f"{outcome.cluster}_{part}") for part in ("yy", "yn", "nn", "agents")]
    if outcome.cluster is None or any(value is None for value in sums) or float(sums[3]) < 2:
        return 1.0
    yy, yn, nn, agents = (float(value) for value in sums)
    n = _count(row, outcome.counts[-1])
    rate = _numerator(row, outcome) / n
    clustered = agents / (agents - 1) * max(yy - 2 * rate * yn + rate * rate * nn, 0.0) / (n * n)
    independent = _independent_variance(row, outcome)
    if not independent > 0 or not math.isfinite(independent):
        return 1.0
    return max(1.0, clustered / independent)


def estimate(outcome: Outcome, row: dict) -> Estimate | None:
    """A band's outcome with its 95 % interval on the band's effective n, n / design effect
    (design_effect): Wilson for a share (of the effective counts), the variance of a difference of
    shares for NPS, Student's t for a mean; n stays the answers or contacts counted. None without
    any answer or contact."""
    n = _count(row, outcome.counts[-1])
    if n <= 0:
        return None
    deff = design_effect(outcome, row)
    if outcome.kind == "share":
        hits = _count(row, outcome.counts[0])
        low, high = proportion_confint(hits / deff, n / deff, alpha=0.05, method="wilson")
        return Estimate(100.0 * hits / n, 100.0 * low, 100.0 * high, int(n))
    if outcome.kind == "net":
        value, variance = _net(row, outcome)
        half = Z * math.sqrt(deff * variance)
        return Estimate(100.0 * value, 100.0 * (value - half), 100.0 * (value + half), int(n))
    mean, variance = _mean(row, outcome)
    effective = n / deff
    half = stats.t.ppf(0.975, effective - 1) * math.sqrt(deff * variance / n) if effective > 1 else math.inf
    return Estimate(mean, mean - half, mean + half, int(n))


def _net(row: dict, outcome: Outcome) -> tuple[float, float]:
    """NPS as a fraction and its variance: p - d over n answers, var = (p + d - (p - d)^2) / n."""
    promoters, detractors, n = (_count(row, name) for name in outcome.counts)
    p, d = promoters / n, detractors / n
    return p - d, (p + d - (p - d) ** 2) / n


def _mean(row: dict, outcome: Outcome) -> tuple[float, float]:
    """The mean and the sample variance from the sum and the sum of squares."""
    total, squares, n = (_count(row, name) for name in outcome.counts)
    mean = total / n
    variance = max(squares - total * total / n, 0.0) / (n - 1) if n > 1 else math.inf
    return mean, variance


def difference(outcome: Outcome, top: dict, bottom: dict) -> Estimate | None:
    """Top band minus bottom band with its 95 % interval, each band on its effective n
    (design_effect): Newcombe's hybrid score interval (built from the two Wilson intervals) for
    shares; the summed variances for NPS; Welch for means. n: the answers or contacts of both."""
    n_top, n_bottom = _count(top, outcome.counts[-1]), _count(bottom, outcome.counts[-1])
    if n_top <= 0 or n_bottom <= 0:
        return None
    d_top, d_bottom = design_effect(outcome, top), design_effect(outcome, bottom)
    n = int(n_top + n_bottom)
    if outcome.kind == "share":
        hits_top, hits_bottom = _count(top, outcome.counts[0]), _count(bottom, outcome.counts[0])
        low, high = confint_proportions_2indep(hits_top / d_top, n_top / d_top, hits_bottom / d_bottom,
                                               n_bottom / d_bottom, method="newcomb", compare="diff", alpha=0.05)
        value = hits_top / n_top - hits_bottom / n_bottom
        return Estimate(100.0 * value, 100.0 * low, 100.0 * high, n)
    if outcome.kind == "net":
        (v_top, var_top), (v_bottom, var_bottom) = _net(top, outcome), _net(bottom, outcome)
        value, half = v_top - v_bottom, Z * math.sqrt(d_top * var_top + d_bottom * var_bottom)
        return Estimate(100.0 * value, 100.0 * (value - half), 100.0 * (value + half), n)
    (m_top, var_top), (m_bottom, var_bottom) = _mean(top, outcome), _mean(bottom, outcome)
    e_top, e_bottom = n_top / d_top, n_bottom / d_bottom
    if e_top <= 1 or e_bottom <= 1:
        return None
    se2_top, se2_bottom = d_top * var_top / n_top, d_bottom * var_bottom / n_bottom
    se = math.sqrt(se2_top + se2_bottom)
    # Welch-Satterthwaite degrees of freedom, on the effective n
    df = (se2_top + se2_bottom) ** 2 / (se2_top ** 2 / (e_top - 1) + se2_bottom ** 2 / (e_bottom - 1)) if se else 1.0
    half = stats.t.ppf(0.975, df) * se
    value = m_top - m_bottom
    return Estimate(value, value - half, value + half, n)


@dataclass(frozen=True)
class Band:
    name: str
    agents: int
    respondents: int | None     # survey levers only
    figure: float | None        # the band's own lever value (pooled)
    low: float | None           # the lever's range in the band (non-survey levers only)
    high: float | None
    row: dict                   # the band's sums, as the query gave them


@dataclass(frozen=True)
class LeverBands:
    key: str
    lever: Lever
    bands: tuple[Band, ...]     # bottom to top (missed, met); () when none can be shown
    split: str                  # "quarter", "third", "half" or "" (met or missed)
    agents: int                 # agents (survey levers: respondents) the lever could rank
    problem: str | None         # why the lever shows no bands, or how they were merged

    @property
    def comparable(self) -> bool:
        return len(self.bands) >= 2


def _nothing_absent(need: str) -> str | None:
    return None


def lever_bands(frame: pl.DataFrame, least: int,
                absent: Callable[[str], str | None] = _nothing_absent) -> dict[str, LeverBands]:
    """Each lever's bands from the query's rows (after PageData.run blanked bands below `least`),
    with a message when the bands had to be fewer than quarters, or when none can be shown.
    absent(need): why the store lacks what a lever ranks by (coverage.Coverage.absent)."""
    out = {}
    for key, lever in LEVERS.items():
        if reasons := [reason for reason in map(absent, lever.needs) if reason]:
            out[key] = LeverBands(key, lever, (), "", 0, "No data: " + "; ".join(reasons) + ".")
            continue
        rows = [r for r in frame.filter(pl.col("lever") == key).sort("band").iter_rows(named=True)]
        out[key] = _one_lever(key, lever, rows, least)
    return out


def _one_lever(key: str, lever: Lever, rows: list[dict], least: int) -> LeverBands:
    total = sum(int(r["band_size"] or 0) for r in rows)
    plural = "" if total == 1 else "s"
    who = f"respondent{plural} to the agent survey" if lever.survey else f"agent{plural}"
    if not rows:
        return LeverBands(key, lever, (), "", 0, f"Too little data: no {who} with customers in these filters.")
    if rows[0]["bands"] == 0:
        return LeverBands(key, lever, (), "", total,
                          f"Too little data: {total} {who} in these filters; two bands of at least {least} "
                          f"need {2 * least}.")
    if key == "manager_72h":
        names, split = [MANAGER_BANDS[int(r["band"]) - 1] for r in rows], ""
        small = [f"{name.lower()} ({r['band_size']} agents)" for name, r in zip(names, rows) if r["band_size"] < least]
        if small or len(rows) < 2:
            what = "; ".join(small) if small else "every team met it or every team missed it"
            return LeverBands(key, lever, (), "", total,
                              f"Too little data: a comparison needs at least {least} agents on each side "
                              f"({what}).")
    else:
        split, names = SPLITS[int(rows[0]["bands"])]
    bands = tuple(Band(name, int(r["band_agents"]), int(r["band_size"]) if lever.survey else None,
                       lever.figure(r), r.get("lever_low"), r.get("lever_high"), r)
                  for name, r in zip(names, rows))
    problem = None
    if split and split != "quarter":
        problem = (f"{total} {who} in these filters: {split}s rather than quarters, so that every band "
                   f"holds at least {least}.")
    return LeverBands(key, lever, bands, split, total, problem)


def figure_text(lever: Lever, band: Band) -> str:
    """The band's own lever value (or range) in words, for the table."""
    if lever.survey or lever.unit == "%":
        if band.figure is None:
            return "hidden"
        value = {"%": f"{band.figure:.1f} %", "eNPS": f"eNPS {band.figure:+.0f}"}.get(lever.unit,
                                                                                    f"{band.figure:.2f} {lever.unit}")
        if lever.unit == "%" and not lever.survey:
            value += f" of the team's requests answered within 72 h (teams range {band.low:.0f}-{band.high:.0f} %)"
        return value
    if band.low is None or band.high is None:
        return "hidden"
    fmt = {"h": "{:.0f}-{:.0f} h", "years": "{:.1f}-{:.1f} years", "money": "{:,.0f}-{:,.0f}"}[lever.unit]
    return fmt.format(band.low, band.high)


def table(levers: dict[str, LeverBands]) -> pl.DataFrame:
    """Every band of every lever with every outcome, its interval and n (the panel's full table)."""
    rows = []
    for item in levers.values():
        for band in item.bands:
            row = {"Lever": item.lever.label, "Band": band.name, "Agents": band.agents,
                   "Respondents": band.respondents, "Band's lever value": figure_text(item.lever, band)}
            for outcome in OUTCOMES.values():
                found = estimate(outcome, band.row)
                row[outcome.label] = None if found is None else round(found.value, 1)
                row[f"{outcome.label} 95 % CI"] = (None if found is None else
                                                   f"{found.low:.1f} to {found.high:.1f}")
                row[f"{outcome.label} n"] = None if found is None else found.n
            rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def figure(levers: dict[str, LeverBands], outcome_key: str) -> go.Figure:
    """One dot per band with its 95 % interval, levers one under the other, bottom band first."""
    outcome = OUTCOMES[outcome_key]
    labels, values, lows, highs, hover = [], [], [], [], []
    for item in levers.values():
        for band in item.bands:
            found = estimate(outcome, band.row)
            if found is None:
                continue
            labels.append(f"{item.lever.label} · {band.name}")
            values.append(found.value)
            lows.append(found.value - found.low)
            highs.append(found.high - found.value)
            hover.append(f"{found.n:,} {outcome.n_words}, {band.agents} agents")
    unit = f" ({outcome.unit})" if outcome.unit else ""
    fig = go.Figure(go.Scatter(
        x=values, y=labels, mode="markers", customdata=hover,
        error_x=dict(type="data", symmetric=False, array=highs, arrayminus=lows, thickness=1.5),
        marker=dict(size=9, color="#1f77b4"),
        hovertemplate="%{y}<br>" + outcome.label + " %{x:.1f}<br>%{customdata}<extra></extra>"))
    fig.update_layout(margin=dict(l=10, r=10, t=10, b=10), height=max(240, 24 * len(labels) + 70),
                      xaxis_title=f"Customers' {outcome.label}{unit}, 95 % interval",
                      yaxis=dict(autorange="reversed", title=None), showlegend=False)
    return fig
