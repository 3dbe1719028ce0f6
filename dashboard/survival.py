"""Retention curves by tenure: the share of agents still employed after each month of tenure, by
Kaplan-Meier (statsmodels SurvfuncRight), split into groups (say, satisfaction quartiles).

The input is one row per agent (queries/attrition_agent_tenure.sql): tenure in days when the agent
was first observed (entry_days: the period starts after their hire, so earlier tenure was not
watched) and when they were last observed (exit_days: the day they left, or the period's end for
those still employed, who are censored). Entry times make the estimate honest about left
truncation: an agent hired years ago counts in the risk set only for the tenure the period covers,
so survivors of old cohorts do not flatter the early months.
"""

from __future__ import annotations

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import polars as pl
from statsmodels.duration.survfunc import SurvfuncRight

DAYS_PER_MONTH = 365.25 / 12
RANKED_COLOURS = ("#c62828", "#f08c2e", "#4fa3d9", "#1f3f8f")  # worse to better: red to blue
MIN_AT_RISK = 5   # a curve stops where fewer agents remain to estimate it: its tail is noise


def kaplan_meier(exit_days, left, entry_days=None) -> pl.DataFrame:
    """The Kaplan-Meier survival function: one row for tenure 0 (everyone employed) and one per
    tenure at which someone left, with the agents at risk just before it and the leavers at it.

    exit_days: tenure when last observed; left: True if the agent left then (else censored);
    entry_days: tenure when first observed (None: everyone from hire). Needs entry < exit."""
    time = np.asarray(exit_days, dtype=float)
    status = np.asarray(left, dtype=float)
    entry = None if entry_days is None else np.asarray(entry_days, dtype=float)
    start = pl.DataFrame({"days": [0.0], "at_risk": [int(len(time) if entry is None else (entry <= 0).sum())],
                          "leavers": [0], "survival": [1.0]})
    if len(time) == 0 or status.sum() == 0:
        return start
    fit = SurvfuncRight(time, status, entry=entry)
    steps = pl.DataFrame({
        "days": fit.surv_times.astype(float), "at_risk": fit.n_risk.astype(np.int64),
        "leavers": fit.n_events.astype(np.int64), "survival": fit.surv_prob.astype(float),
    })
    return pl.concat([start, steps.filter(pl.col("days") > 0)])


def last_estimable_day(entry_days, exit_days, min_at_risk: int = MIN_AT_RISK) -> float:
    """The longest tenure at which at least min_at_risk agents are still under observation."""
    entry, exit_ = np.asarray(entry_days, dtype=float), np.asarray(exit_days, dtype=float)
    for day in np.sort(np.unique(exit_))[::-1]:
        if ((entry < day) & (exit_ >= day)).sum() >= min_at_risk:
            return float(day)
    return 0.0


def retention_curves(agents: pl.DataFrame, group: str, order: str | None = None,
                     min_at_risk: int = MIN_AT_RISK) -> pl.DataFrame:
    """One Kaplan-Meier curve per value of `group`, as step points in months of tenure:
    columns group, label (the group with its n), months, share_employed_pct, at_risk, leavers.
    Each curve runs on to the longest tenure at which min_at_risk agents of its group are still
    observed. Agents with no time observed (hired on the period's last day) are left out."""
    usable = agents.filter(pl.col("exit_days") > pl.col("entry_days"))
    keys = [group] + ([order] if order else [])
    groups = usable.select(keys).unique().sort(order or group)
    parts = []
    for name in groups.get_column(group).to_list():
        rows = usable.filter(pl.col(group) == name)
        curve = kaplan_meier(rows["exit_days"].to_numpy(), rows["left_in_period"].to_numpy(),
                             rows["entry_days"].to_numpy())
        last = last_estimable_day(rows["entry_days"], rows["exit_days"], min_at_risk)
        curve = curve.filter(pl.col("days") <= last)
        if last > curve["days"].max():  # the flat stretch after the last leaver, to the end of follow-up
            still = int(((rows["entry_days"] < last) & (rows["exit_days"] >= last)).sum())
            tail = curve.tail(1).with_columns(pl.lit(last).alias("days"), pl.lit(0, pl.Int64).alias("leavers"),
                                              pl.lit(still, pl.Int64).alias("at_risk"))
            curve = pl.concat([curve, tail])
        parts.append(curve.with_columns(
            pl.lit(name).alias("group"),
            pl.lit(f"{name} (n = {rows.height}, {int(rows['left_in_period'].sum())} left)").alias("label")))
    if not parts:
        return pl.DataFrame(schema={"group": pl.String, "label": pl.String, "months": pl.Float64,
                                    "share_employed_pct": pl.Float64, "at_risk": pl.Int64, "leavers": pl.Int64})
    return pl.concat(parts).select(
        "group", "label", (pl.col("days") / DAYS_PER_MONTH).alias("months"),
        (100 * pl.col("survival")).alias("share_employed_pct"), "at_risk", "leavers")


def share_employed_at(curves: pl.DataFrame, group: str, months: float) -> float:
    """The step function's value (%) at a tenure: the last step at or before it."""
    rows = curves.filter((pl.col("group") == group) & (pl.col("months") <= months))
    return float(rows.sort("months")["share_employed_pct"].tail(1).item())


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
    order the curves come in."""
    groups = curves["group"].unique(maintain_order=True).to_list()
    labels = curves["label"].unique(maintain_order=True).to_list()
    fig = px.line(curves, x="months", y="share_employed_pct", color="label", line_shape="hv",
                  color_discrete_sequence=group_colours(groups), category_orders={"label": labels},
                  hover_data={"at_risk": True, "leavers": True, "label": False},
                  labels={"months": "Months of tenure", "share_employed_pct": "Still employed %",
                          "at_risk": "Agents at risk", "leavers": "Left at this tenure", "label": legend_title})
    fig.update_layout(margin=dict(l=10, r=10, t=30, b=10), height=420, legend_title_text=legend_title,
                      legend=dict(orientation="h", yanchor="top", y=-0.18, x=0))
    fig.update_yaxes(range=[0, 102])
    return fig
