"""Retention curves by tenure: the share of agents still employed after each month of tenure, by
Kaplan-Meier with Greenwood's variance, split into groups (say, satisfaction quartiles).

The input is one row per agent (queries/attrition_agent_tenure.sql): tenure in days when the agent
was first observed (entry_days: the period starts after their hire, so earlier tenure was not
watched) and when they were last observed (exit_days: the day they left, or the period's end for
those still employed, who are censored). Entry times make the estimate honest about left
truncation: an agent hired years ago counts in the risk set only for the tenure the period covers,
so survivors of old cohorts do not flatter the early months.

Computed with numpy over sorted arrays (a few hundred agents: well under a millisecond), and each
page builds a split's curves, figure and reading once per tenure rows (retention, remembered in
dashboard/figures.py).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import polars as pl
from scipy.stats import norm

from dashboard import figures, safe_text

DAYS_PER_MONTH = 365.25 / 12
RANKED_COLOURS = ("#c62828", "#f08c2e", "#4fa3d9", "#1f3f8f")  # worse to better: red to blue
MIN_AT_RISK = 5   # a curve stops where fewer agents remain to estimate it: its tail is noise
Z95 = float(norm.ppf(0.975))
READING_MONTHS = 12   # the tenure a retention reading compares groups at, when both curves reach it


def kaplan_meier(exit_days, left, entry_days=None) -> pl.DataFrame:
    """The Kaplan-Meier survival function: one row for tenure 0 (everyone employed) and one per
    tenure at which someone left, with the agents at risk just before it, the leavers at it, the
    standard error of the survival by Greenwood's formula and its 95 % interval (log(-log), so it
    stays within 0 to 1; none where survival is 1 or 0).

    exit_days: tenure when last observed; left: True if the agent left then (else censored);
    entry_days: tenure when first observed (None: everyone from hire). Needs entry < exit: an
    agent is at risk at tenure t when entry < t <= exit."""
    return pl.DataFrame(_kaplan_meier_steps(exit_days, left, entry_days), schema=KM_SCHEMA, nan_to_null=True)


def _kaplan_meier_steps(exit_days, left, entry_days=None) -> dict[str, np.ndarray]:
    """kaplan_meier's columns as numpy arrays (NaN where undefined)."""
    time = np.asarray(exit_days, dtype=float)
    status = np.asarray(left, dtype=bool)
    entry = None if entry_days is None else np.asarray(entry_days, dtype=float)
    days, leavers = np.unique(time[status], return_counts=True)
    at_risk = _at_risk(days, time, entry)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1 - leavers / at_risk)
        # Greenwood: Var S(t) = S(t)^2 * sum over leaving tenures up to t of d / (n (n - d)); undefined
        # once everyone at risk has left (n = d)
        greenwood = np.cumsum(np.where(at_risk > leavers, leavers / (at_risk * (at_risk - leavers)), np.nan))
        low, high = _log_log_interval(survival, greenwood)
    later = days > 0   # tenure 0 is the first row, everyone employed
    first_at_risk = len(time) if entry is None else int((entry <= 0).sum())
    return {"days": np.concatenate(([0.0], days[later])),
            "at_risk": np.concatenate(([first_at_risk], at_risk[later])).astype(np.int64),
            "leavers": np.concatenate(([0], leavers[later])).astype(np.int64),
            "survival": np.concatenate(([1.0], survival[later])),
            "std_error": np.concatenate(([0.0], (survival * np.sqrt(greenwood))[later])),
            "low": np.concatenate(([np.nan], low[later])), "high": np.concatenate(([np.nan], high[later]))}


KM_SCHEMA = {"days": pl.Float64, "at_risk": pl.Int64, "leavers": pl.Int64, "survival": pl.Float64,
             "std_error": pl.Float64, "low": pl.Float64, "high": pl.Float64}


def _at_risk(days: np.ndarray, exit_: np.ndarray, entry: np.ndarray | None) -> np.ndarray:
    """Agents at risk at each tenure in days: entered before it (entry < t) and not gone before it."""
    gone_before = np.searchsorted(np.sort(exit_), days, side="left")
    entered = len(exit_) if entry is None else np.searchsorted(np.sort(entry), days, side="left")
    return entered - gone_before


def _log_log_interval(survival: np.ndarray, greenwood: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 95 % interval of S by the log(-log) transform (Kalbfleisch and Prentice; lifelines' and
    Stata's default): S ** exp(+-z * sqrt(sum d / (n (n - d))) / log S), undefined at S = 1 and S = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(survival)
        spread = Z95 * np.sqrt(greenwood) / np.abs(log_s)
        defined = (survival > 0) & (survival < 1) & np.isfinite(spread)
        low = np.where(defined, survival ** np.exp(spread), np.nan)
        high = np.where(defined, survival ** np.exp(-spread), np.nan)
    return low, high


def last_estimable_day(entry_days, exit_days, min_at_risk: int = MIN_AT_RISK) -> float:
    """The longest tenure at which at least min_at_risk agents are still under observation."""
    entry, exit_ = np.asarray(entry_days, dtype=float), np.asarray(exit_days, dtype=float)
    days = np.unique(exit_)
    enough = days[_at_risk(days, exit_, entry) >= min_at_risk]
    return float(enough.max()) if enough.size else 0.0


def retention_curves(agents: pl.DataFrame, group: str, order: str | None = None,
                     min_at_risk: int = MIN_AT_RISK) -> pl.DataFrame:
    """One Kaplan-Meier curve per value of `group`, as step points in months of tenure:
    columns group, label (the group with its n), agents, months, share_employed_pct, at_risk, leavers,
    std_error_pct (Greenwood) and share_low_pct, share_high_pct (its 95 % interval, kaplan_meier).
    Each curve runs on to the longest tenure at which min_at_risk agents of its group are still
    observed. Agents with no time observed (hired on the period's last day) are left out."""
    usable = agents.filter(pl.col("exit_days") > pl.col("entry_days"))
    keys = [group] + ([order] if order else [])
    columns: dict[str, list] = {name: [] for name in CURVE_SCHEMA}
    for rows in usable.sort(keys[::-1], maintain_order=True).partition_by(group, maintain_order=True):
        name = rows[group][0]
        entry, exit_, gone = (rows[c].to_numpy() for c in ("entry_days", "exit_days", "left_in_period"))
        steps = _kaplan_meier_steps(exit_, gone, entry)
        last = last_estimable_day(entry, exit_, min_at_risk)
        steps = {column: values[steps["days"] <= last] for column, values in steps.items()}
        if last > steps["days"].max():  # the flat stretch after the last leaver, to the end of follow-up
            steps = {column: np.append(values, values[-1]) for column, values in steps.items()}
            steps["days"][-1], steps["leavers"][-1] = last, 0
            steps["at_risk"][-1] = int(((entry < last) & (exit_ >= last)).sum())
        count = len(steps["days"])
        columns["group"] += [name] * count
        columns["label"] += [f"{name} (n = {len(exit_)}, {int(gone.sum())} left)"] * count
        columns["agents"].append(np.full(count, len(exit_), dtype=np.int64))
        columns["months"].append(steps["days"] / DAYS_PER_MONTH)
        columns["share_employed_pct"].append(100 * steps["survival"])
        columns["std_error_pct"].append(100 * steps["std_error"])
        columns["share_low_pct"].append(100 * steps["low"])
        columns["share_high_pct"].append(100 * steps["high"])
        columns["at_risk"].append(steps["at_risk"])
        columns["leavers"].append(steps["leavers"])
    if not columns["group"]:
        return pl.DataFrame(schema=CURVE_SCHEMA)
    return pl.DataFrame({name: values if name in ("group", "label") else np.concatenate(values)
                         for name, values in columns.items()}, schema=CURVE_SCHEMA, nan_to_null=True)


CURVE_SCHEMA = {"group": pl.String, "label": pl.String, "agents": pl.Int64, "months": pl.Float64,
                "share_employed_pct": pl.Float64, "at_risk": pl.Int64, "leavers": pl.Int64,
                "std_error_pct": pl.Float64,
                "share_low_pct": pl.Float64, "share_high_pct": pl.Float64}


def share_employed_at(curves: pl.DataFrame, group: str, months: float) -> float:
    """The step function's value (%) at a tenure: the last step at or before it."""
    return at_tenure(curves, group, months).share_pct


class Point(NamedTuple):
    """One group's curve at a tenure: the share still employed (%), its Greenwood standard error and
    95 % interval (None where undefined: the interval while nobody has left, both once everybody
    has), and the group's agents."""
    group: str
    share_pct: float
    std_error_pct: float | None
    low_pct: float | None
    high_pct: float | None
    agents: int


def at_tenure(curves: pl.DataFrame, group: str, months: float) -> Point:
    """The step function at a tenure: the last step at or before it."""
    step = curves.filter((pl.col("group") == group) & (pl.col("months") <= months)).sort("months").tail(1)
    row = step.row(0, named=True)
    return Point(group, row["share_employed_pct"], row["std_error_pct"], row["share_low_pct"],
                 row["share_high_pct"], row["agents"])


class Gap(NamedTuple):
    """Two groups' curves compared at one tenure: each group's point, and the difference (better
    minus worse, in points) with its 95 % interval from the two Greenwood variances summed
    (independent groups). months is the tenure compared; capped says it is the last both curves
    reach, short of READING_MONTHS. problem: why the groups cannot be compared (then no figures)."""
    months: float
    capped: bool
    better: Point | None
    worse: Point | None
    difference_pct: float | None
    low_pct: float | None
    high_pct: float | None
    problem: str | None


def compare(curves: pl.DataFrame, better: str, worse: str, months: float = READING_MONTHS) -> Gap:
    """The better group's share still employed against the worse one's at `months` of tenure, or at the
    last tenure both curves reach when one stops sooner. `better`, `worse`: how the groups' names begin."""
    names = curves["group"].unique(maintain_order=True).to_list()
    found = {role: next((n for n in names if n.startswith(prefix)), None)
             for role, prefix in (("better", better), ("worse", worse))}
    if None in found.values():
        absent = " or ".join(f'"{prefix}"' for role, prefix in (("better", better), ("worse", worse))
                             if found[role] is None)
        return Gap(months, False, None, None, None, None, None,
                   f"no curve for {absent} in these filters (no agents, or too few to show)")
    reach = min(curves.filter(pl.col("group") == name)["months"].max() for name in found.values())
    at = min(months, reach)
    if at <= 0:
        return Gap(at, True, None, None, None, None, None,
                   f"a curve stops at 0 months (fewer than {MIN_AT_RISK} agents observed)")
    high, low = at_tenure(curves, found["better"], at), at_tenure(curves, found["worse"], at)
    if high.std_error_pct is None or low.std_error_pct is None:
        return Gap(at, at < months, high, low, None, None, None, "everyone of a group had left by then")
    difference = high.share_pct - low.share_pct
    spread = Z95 * float(np.hypot(high.std_error_pct, low.std_error_pct))
    return Gap(at, at < months, high, low, difference, difference - spread, difference + spread, None)


class Retention(NamedTuple):
    curves: pl.DataFrame
    figure: go.Figure | None
    reading: str | None


def retention(agents: pl.DataFrame, group: str, order: str | None, legend: str, reading) -> Retention:
    """A split's curves, their figure, and reading(curves) (words, or None), made once per tenure rows
    and split and then served from memory (figures.remembered). The figure is None when no agent
    was observed for any time. Do not change what it returns."""
    def make() -> Retention:
        curves = retention_curves(agents, group, order)
        if curves.is_empty():
            return Retention(curves, None, None)
        return Retention(curves, retention_figure(curves, legend), reading(curves))
    return figures.remembered(("retention", figures.frame_key(agents), group, order, legend, reading), make)


def group_colours(groups: list[str]) -> list[str]:
    """Groups in order from the worse experience to the better run red to blue; a group of agents
    with no data ("No survey answers") is grey."""
    ranked = [g for g in groups if not g.startswith("No ")]
    if len(ranked) <= len(RANKED_COLOURS):
        picks = np.linspace(0, len(RANKED_COLOURS) - 1, len(ranked)).round().astype(int) if ranked else []
        shades = iter([RANKED_COLOURS[i] for i in picks])
    else:
        shades = iter(px.colors.sample_colorscale("RdBu", list(np.linspace(0.05, 0.95, len(ranked)))))
    return ["#9e9e9e" if g.startswith("No ") else next(shades) for g in groups]


def retention_figure(curves: pl.DataFrame, legend_title: str) -> go.Figure:
    """Step curves (a Kaplan-Meier estimate is constant between leavers), one per group, in the
    order the curves come in; the 95 % interval, agents at risk and leavers on hover. Built from
    plain traces, not plotly express: a third of the time, and the figure is the same."""
    groups = curves["group"].unique(maintain_order=True).to_list()
    hover = ("Months of tenure: %{x:.1f}<br>Still employed: %{y:.1f} %<br>95 % interval: "
             "%{customdata[0]:.1f} to %{customdata[1]:.1f} %<br>Agents at risk: %{customdata[2]}<br>"
             "Left at this tenure: %{customdata[3]}")
    traces = []
    for name, colour in zip(groups, group_colours(groups)):
        curve = curves.filter(pl.col("group") == name)
        label = safe_text.chart(curve["label"][0])
        traces.append(go.Scatter(
            x=curve["months"].to_numpy(), y=curve["share_employed_pct"].to_numpy(), name=label,
            legendgroup=label, mode="lines", line=dict(shape="hv", color=colour),
            customdata=curve.select("share_low_pct", "share_high_pct", "at_risk", "leavers").to_numpy(),
            hovertemplate=hover + f"<extra>{label}</extra>"))
    return go.Figure(traces, layout=dict(
        template=figures.LIVE_TEMPLATE, height=420, margin=dict(l=10, r=10, t=30, b=10),
        legend=dict(title_text=safe_text.chart(legend_title), orientation="h", yanchor="top", y=-0.18, x=0),
        xaxis=dict(title_text="Months of tenure"), yaxis=dict(title_text="Still employed %", range=[0, 102])))
