"""Honest rankings and their intervals for the teams and management pages, as pure functions.

- Teams and agents are ranked by the lower bound of the 95 % Wilson interval of CSAT, not by the
  raw share: 1 satisfied answer of 1 (lower bound 21 %) ranks below 95 of 100 (89 %).
- A funnel plot shows each unit's CSAT against its number of answers, with the overall rate as a
  centre line and binomial control limits p ± z·sqrt(p(1-p)/n) that narrow as n grows: a unit is
  unusual only when it falls outside them.
- Mean item scores of agent surveys get t intervals (mean ± t·sd/√n), which stay honest at the
  small counts a single team's milestone survey gives.

Only aggregates come in (one row per team, agent or milestone-item); nothing here touches DuckDB
or Streamlit.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from dashboard import figures
from dashboard.chartspec import ChartSpec

# The z values behind the intervals, as conventionally rounded; the SQL macros wilson_lower and
# wilson_upper use the same 1.96, so a bound computed here equals the one a query returns.
Z95 = 1.96     # two-sided 95 %
Z998 = 3.09    # two-sided 99.8 %, the usual outer funnel limit
WILSON_ALPHA = 2 * float(stats.norm.sf(Z95))  # the alpha whose two-sided z is exactly 1.96


def wilson_bounds(k, n, alpha: float = WILSON_ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (95 %, z = 1.96) of k successes in n trials, as fractions; NaN where n is 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    has_n = n > 0
    low, high = proportion_confint(np.where(has_n, k, 0), np.where(has_n, n, 1), alpha=alpha, method="wilson")
    return np.where(has_n, low, np.nan), np.where(has_n, high, np.nan)


def rank_by_wilson(frame: pl.DataFrame, k: str = "satisfied", n: str = "survey_answers",
                   name: str | None = None) -> pl.DataFrame:
    """Adds csat_pct, csat_low and csat_high (0-100) and a 1-based rank, best lower bound first.
    Units with no answers keep a row but no rank and go last. Ties: more answers first, then name."""
    low, high = wilson_bounds(frame.get_column(k).to_numpy(), frame.get_column(n).to_numpy())
    answers = pl.col(n).cast(pl.Float64)
    scored = frame.with_columns(
        pl.when(answers > 0).then(100.0 * pl.col(k) / answers).alias("csat_pct"),
        pl.Series("csat_low", 100.0 * low).fill_nan(None),
        pl.Series("csat_high", 100.0 * high).fill_nan(None),
    )
    order = ["csat_low", n] + ([name] if name else [])
    ranked = scored.sort(order, descending=[True, True] + ([False] if name else []), nulls_last=True)
    return ranked.with_columns(
        pl.when(pl.col("csat_low").is_not_null()).then(pl.int_range(1, pl.len() + 1)).alias("rank")
    ).select("rank", *scored.columns)


# column -> the name a reader sees, with its unit
READABLE = {
    "rank": "Rank", "agent_name": "Agent", "team_name": "Team", "site": "Site", "manager_name": "Manager",
    "csat_pct": "CSAT %", "csat_low": "CSAT lower %", "csat_high": "CSAT upper %", "survey_answers": "Answers (n)",
    "answered": "Volume (answered)", "aht_s": "AHT (s)", "fcr_pct": "FCR %", "escalation_pct": "Escalation %",
    "agent_satisfaction_pct": "Agent satisfaction %", "agent_survey_answers": "Agent answers (n)",
}


def ranked_table(frame: pl.DataFrame, level: str) -> pl.DataFrame:
    """The teams or agents table as shown: ranked by the Wilson lower bound of CSAT, rounded,
    with readable column names. level: 'team' or 'agent'."""
    name = "agent_name" if level == "agent" else "team_name"
    identity = ["agent_name", "team_name"] if level == "agent" else ["team_name", "site", "manager_name"]
    ranked = rank_by_wilson(frame, name=name)
    # agent satisfaction is a team's only: one agent's own survey answers are never shown
    measures = [c for c in ("csat_pct", "csat_low", "csat_high", "survey_answers", "answered", "aht_s", "fcr_pct",
                            "escalation_pct", "agent_satisfaction_pct", "agent_survey_answers") if c in ranked.columns]
    rounded = [pl.col(c).round(0 if c == "aht_s" else 1) if ranked.schema[c].is_float() else pl.col(c)
               for c in measures]
    return ranked.select("rank", *identity, *rounded).rename(READABLE, strict=False)


def funnel_limits(p: float, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Binomial control limits around the overall rate p for units of n answers, clipped to 0-1:
    p ± z·sqrt(p(1-p)/n). Vectorised over n."""
    n = np.asarray(n, dtype=float)
    half_width = z * np.sqrt(p * (1 - p) / n)
    return np.clip(p - half_width, 0, 1), np.clip(p + half_width, 0, 1)


def funnel_status(k, n, p: float) -> np.ndarray:
    """Where each unit sits against the limits: 'within', or above or below the 95 % or 99.8 %
    limits ('above 95 %', 'below 99.8 %'...): above is better CSAT than the centre, below worse."""
    share = np.asarray(k, dtype=float) / np.asarray(n, dtype=float)
    low95, high95 = funnel_limits(p, n, Z95)
    low998, high998 = funnel_limits(p, n, Z998)
    return np.select([share > high998, share < low998, share > high95, share < low95],
                     ["above 99.8 %", "below 99.8 %", "above 95 %", "below 95 %"], "within")


STATUS_STYLE = {  # status -> (legend text, colour, marker size): good outliers green, bad ones red
    "within": ("Within the 95 % limits", "#7f8c9a", 9),
    "above 95 %": ("Above the 95 % limit", "#58d68d", 12),
    "above 99.8 %": ("Above the 99.8 % limit", "#1e8449", 14),
    "below 95 %": ("Below the 95 % limit", "#e67e22", 12),
    "below 99.8 %": ("Below the 99.8 % limit", "#c0392b", 14),
}


def funnel_figure(frame: pl.DataFrame, unit: str = "team_name", k: str = "satisfied",
                  n: str = "survey_answers") -> go.Figure:
    """CSAT % against answers per unit (team or agent), centre line at the pooled rate and 95 % and
    99.8 % limits as curves across n. Each point's customdata is [team_name, unit, k, n], so a
    click on a team finds it (figures.selected_team)."""
    units = frame.filter(pl.col(n) > 0)
    if units.is_empty():
        return go.Figure()
    p = units.get_column(k).sum() / units.get_column(n).sum()
    n_max = float(units.get_column(n).max())
    grid = np.geomspace(max(1.0, float(units.get_column(n).min()) * 0.8), n_max * 1.08, 200)
    fig = go.Figure()
    for z, label, dash in ((Z998, "99.8 % limits", "dot"), (Z95, "95 % limits", "dash")):
        low, high = funnel_limits(p, grid, z)
        for i, bound in enumerate((low, high)):
            fig.add_trace(go.Scatter(x=grid, y=100 * bound, mode="lines", name=label, legendgroup=label,
                                     showlegend=i == 0, hoverinfo="skip", line=dict(color="#95a5a6", dash=dash)))
    fig.add_trace(go.Scatter(x=[grid[0], grid[-1]], y=[100 * p] * 2, mode="lines", hoverinfo="skip",
                             name=f"Overall CSAT {100 * p:.1f} %", line=dict(color="#34495e")))
    units = units.with_columns(pl.Series("status", funnel_status(units[k].to_numpy(), units[n].to_numpy(), p)))
    for status, (label, colour, size) in STATUS_STYLE.items():
        part = units.filter(pl.col("status") == status)
        if part.is_empty():
            continue
        fig.add_trace(go.Scatter(
            x=part.get_column(n).to_list(), y=(100 * part[k] / part[n]).to_list(), mode="markers", name=label,
            marker=dict(color=colour, size=size, line=dict(color="white", width=1)),
            customdata=part.select("team_name", pl.col(unit).alias("_unit"), k, n).rows(),
            hovertemplate="<b>%{customdata[1]}</b> (%{customdata[0]})<br>CSAT %{y:.1f} %"
                          "<br>%{customdata[2]} of %{customdata[3]} answers 4-5<extra></extra>",
        ))
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="Survey answers (n)",
                      yaxis_title="CSAT %", legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return fig


def mean_intervals(frame: pl.DataFrame, mean: str = "mean_score", sd: str = "sd_score", n: str = "answers",
                   confidence: float = 0.95) -> pl.DataFrame:
    """Adds ci_low and ci_high: mean ± t(n-1)·sd/√n (null when n < 2, where no interval exists)."""
    counts = frame.get_column(n).to_numpy().astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + confidence / 2, counts - 1) * frame.get_column(sd).to_numpy() / np.sqrt(counts)
    half = pl.Series("half", np.where(counts >= 2, half, np.nan)).fill_nan(None)
    return frame.with_columns((pl.col(mean) - half).alias("ci_low"), (pl.col(mean) + half).alias("ci_high"))


ITEM_LABELS = {"satisfaction": "Satisfaction", "empowerment": "Empowerment", "manager_support": "Manager support",
               "training_adequacy": "Training adequacy", "pressure": "Pressure (higher = more)"}
MILESTONE_LABELS = {"3m": "3 months", "6m": "6 months", "12m": "12 months", "24m": "24 months"}


def milestone_figure(items: pl.DataFrame) -> go.Figure:
    """Grouped bars of mean item scores (1-5) by tenure milestone with t intervals, drawn by the
    same builder as every header-drawn chart."""
    item_order = pl.col("item").replace_strict(list(ITEM_LABELS), range(len(ITEM_LABELS)), default=len(ITEM_LABELS))
    frame = mean_intervals(items.sort("milestone_order", item_order)).with_columns(
        pl.col("milestone").replace(MILESTONE_LABELS), pl.col("item").replace(ITEM_LABELS),
        pl.col("mean_score").round(2), pl.col("ci_low").fill_null(pl.col("mean_score")),
        pl.col("ci_high").fill_null(pl.col("mean_score")))
    spec = ChartSpec(
        kind="bar", x="milestone", y=("mean_score",), color="item", error_low="ci_low", error_high="ci_high",
        hover=("answers",), labels={"milestone": "Tenure milestone", "mean_score": "Mean score (1-5)",
                                    "item": "Item", "answers": "n"})
    fig = figures.build(spec, frame)
    fig.update_yaxes(range=[1, 5.2])
    return fig

