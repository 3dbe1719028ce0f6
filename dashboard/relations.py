"""Customer against agent: the statistics of the customer-vs-agent page, as plain functions on
polars frames (tested without Streamlit).

The unit is a team-month (docs/design.md section 5). Each team-month's rates come from its own counts;
a lag pairs a team's agent satisfaction in one month with the same team's customer score some
months later (or earlier); the within-team view removes each team's own mean from both axes, so
differences between teams (which manager, which site) cannot make the correlation on their own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import polars as pl
from scipy import stats

from dashboard import filters

MEASURES = {"CSAT": "CSAT %", "NPS": "NPS"}   # the customer score on the y axis -> its axis text
LAGS = tuple(filters.CONTROL["cva_lag"].choices)  # months agent satisfaction leads the customer score
MIN_PAIRS = 3                                 # fewer team-months than this: no correlation is shown
CAUTION = "Association, not proof of cause."


def lag_label(lag: int) -> str:
    """What a lag means, in words (declared with the page's controls, filters.lag_words)."""
    return filters.lag_words(lag)


def team_month_rates(team_months: pl.DataFrame, measure: str = "CSAT") -> pl.DataFrame:
    """Per team-month: the customer score (CSAT % or NPS) and agent satisfaction %, each from that
    team-month's own counts; null where the side had no answers."""
    if measure == "CSAT":
        customer = 100.0 * pl.col("customer_satisfied") / pl.col("customer_answers")
        answers = pl.col("customer_answers")
    elif measure == "NPS":
        customer = 100.0 * (pl.col("nps_promoters") - pl.col("nps_detractors")) / pl.col("nps_answers")
        answers = pl.col("nps_answers")
    else:
        raise ValueError(f"measure must be one of {list(MEASURES)}, not {measure!r}")
    return team_months.select(
        "team_name", "month",
        pl.when(answers > 0).then(customer).alias("customer"),
        answers.alias("customer_answers"),
        pl.when(pl.col("agent_answers") > 0)
          .then(100.0 * pl.col("agent_satisfied") / pl.col("agent_answers")).alias("agent"),
        "agent_answers",
    )


def lagged_pairs(rates: pl.DataFrame, lag: int = 0, min_agent_answers: int = 1) -> pl.DataFrame:
    """Pairs a team's agent satisfaction in month m with the same team's customer score in month
    m + lag (lag > 0: agents first). A month without its partner month in the data drops out."""
    agent = (rates.filter(pl.col("agent_answers") >= max(min_agent_answers, 1), pl.col("agent").is_not_null())
             .select("team_name", pl.col("month").alias("agent_month"), "agent", "agent_answers")
             .with_columns(pl.col("agent_month").dt.offset_by(f"{lag}mo").alias("customer_month")))
    customer = (rates.filter(pl.col("customer").is_not_null())
                .select("team_name", pl.col("month").alias("customer_month"), "customer", "customer_answers"))
    return (agent.join(customer, on=["team_name", "customer_month"], how="inner")
            .select("team_name", "agent_month", "customer_month", "agent", "customer",
                    "agent_answers", "customer_answers")
            .sort("team_name", "agent_month"))


def demean_within_team(pairs: pl.DataFrame) -> pl.DataFrame:
    """Each team's values minus that team's own mean over the pairs, on both axes. A team with a
    single team-month carries no within-team information (it would sit at 0, 0) and is left out."""
    multi = pairs.filter(pl.len().over("team_name") >= 2)
    return multi.with_columns(
        (pl.col(c) - pl.col(c).mean().over("team_name")).alias(c) for c in ("agent", "customer"))


@dataclass(frozen=True)
class Correlation:
    r: float
    low: float          # 95 % confidence interval (Fisher z, scipy)
    high: float
    n: int              # team-months
    slope: float        # least-squares line of the customer score on agent satisfaction
    intercept: float

    def interval_text(self) -> str:
        # with 3 pairs Fisher's interval spans -1 to 1: say so rather than print it
        return f"95 % CI {self.low:+.2f} to {self.high:+.2f}" if self.n > 3 else "too few pairs for an interval"

    def describe(self) -> str:
        return f"r = {self.r:+.2f} ({self.interval_text()}), n = {self.n} team-months"


def correlate(pairs: pl.DataFrame, x: str = "agent", y: str = "customer") -> Correlation | None:
    """Pearson's r with its 95 % interval and the fitted line, or None when there are fewer than
    MIN_PAIRS pairs or one axis does not vary (no correlation is defined)."""
    xs, ys = pairs.get_column(x).to_numpy(), pairs.get_column(y).to_numpy()
    if len(xs) < MIN_PAIRS or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return None
    result = stats.pearsonr(xs, ys)
    interval = result.confidence_interval(confidence_level=0.95)
    fit = stats.linregress(xs, ys)
    return Correlation(r=float(result.statistic), low=float(interval.low), high=float(interval.high),
                       n=len(xs), slope=float(fit.slope), intercept=float(fit.intercept))


@dataclass(frozen=True)
class Relationship:
    pairs: pl.DataFrame          # raw team-month values
    within_pairs: pl.DataFrame   # the same, each team's mean removed
    pooled: Correlation | None
    within: Correlation | None


def relationship(team_months: pl.DataFrame, measure: str = "CSAT", lag: int = 0,
                 min_agent_answers: int = 1) -> Relationship:
    pairs = lagged_pairs(team_month_rates(team_months, measure), lag, min_agent_answers)
    within_pairs = demean_within_team(pairs)
    return Relationship(pairs, within_pairs, correlate(pairs), correlate(within_pairs))


def small_n_message(n: int) -> str:
    return (f"Only {n} team-month{'' if n == 1 else 's'} pair{'s' if n == 1 else ''} up here: too few for a "
            "correlation. Choose a longer period, a shorter lag or fewer teams filtered out.")


def scatter_figure(pairs: pl.DataFrame, fit: Correlation | None, measure: str = "CSAT",
                   within: bool = False) -> go.Figure:
    """One point per team-month pair, sized by agent answers, with the least-squares line."""
    suffix = " (minus the team's own mean)" if within else ""
    size = pairs.get_column("agent_answers").to_numpy().astype(float)
    hover = np.column_stack([pairs.get_column(c).cast(pl.String).to_numpy() for c in
                             ("team_name", "agent_month", "customer_month", "agent_answers", "customer_answers")]
                            ) if pairs.height else None
    fig = go.Figure(go.Scatter(
        x=pairs.get_column("agent").to_numpy(), y=pairs.get_column("customer").to_numpy(), mode="markers",
        name="team-month", customdata=hover,
        marker=dict(size=6 + 3 * np.sqrt(size), sizemode="diameter", opacity=0.6, line=dict(width=0.5, color="white")),
        hovertemplate=("<b>%{customdata[0]}</b><br>agent satisfaction %{x:.1f} (%{customdata[1]}, "
                       "%{customdata[3]} agent answers)<br>" + measure + " %{y:.1f} (%{customdata[2]}, "
                       "%{customdata[4]} customer answers)<extra></extra>"),
    ))
    if fit is not None:
        xs = pairs.get_column("agent").to_numpy()
        line_x = np.array([xs.min(), xs.max()])
        fig.add_trace(go.Scatter(x=line_x, y=fit.intercept + fit.slope * line_x, mode="lines",
                                 name=f"fitted line: {fit.slope:+.2f} {measure} points per point of agent satisfaction",
                                 line=dict(color="firebrick")))
    fig.update_layout(margin=dict(l=10, r=10, t=30, b=10), height=420, showlegend=True,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
                      xaxis_title="Agent satisfaction % (share answering 4-5)" + suffix,
                      yaxis_title=MEASURES[measure] + suffix)
    return fig


# ---- the mirror: one figure per side for the same scope -------------------------------------------

MIRROR_ROWS = (
    # measure, customer definition, agent definition
    ("Wait for an answer", "ASA, mean seconds queued by answered contacts",
     "mean hours from an agent's request to a manager's answer, answered requests only"),
    ("Never answered", "abandoned contacts / offered", "requests unanswered by the data's end / opened"),
    ("Satisfaction", "CSAT: answers of 4-5 / all answers", "agent survey answers of 4-5 / all answers"),
    ("Leaving", "customers churned in the period / active at its start",
     "attrition: mean monthly leavers / average headcount, x 12 (annualised, in %)"),
    ("Survey response", "surveyed contacts / answered contacts",
     "agent survey answers in the period / agents employed at any time in it"),
)


def mirror_figures(mirror: dict, customer_kpis: dict, agent_kpis: dict) -> pl.DataFrame:
    """The numbers of the mirrored table (None where a side has no data). mirror: the row of
    customer_vs_agent_mirror; the KPI rows: overview_customer_kpis and overview_agent_kpis for the
    same filters, whose definitions the table reuses."""
    def ratio(k, n, scale=100.0):
        return None if not n else scale * k / n
    customer = [customer_kpis.get("asa"), customer_kpis.get("abandon_rate"), customer_kpis.get("csat"),
                customer_kpis.get("customer_churn"), ratio(mirror["surveyed_contacts"], mirror["answered_contacts"])]
    agent = [mirror["request_answer_hours"], ratio(mirror["requests_unanswered"], mirror["requests_opened"]),
             agent_kpis.get("agent_satisfaction"), agent_kpis.get("attrition_annualised"),
             ratio(mirror["agent_survey_answers"], mirror["agents_employed"], 1.0)]
    return pl.DataFrame({
        "measure": [m for m, _, _ in MIRROR_ROWS], "customer": customer, "agent": agent,
        "customer_unit": ["s", "%", "%", "% in period", "%"],
        "agent_unit": ["h", "%", "%", "% a year", "answers per agent"],
    }, schema={"measure": pl.String, "customer": pl.Float64, "agent": pl.Float64,
               "customer_unit": pl.String, "agent_unit": pl.String})


# what each cell rests on (store tables or table.column, as in a query's needs): a cell whose input
# the store lacks says so instead of showing a count over nothing (0 answers, 0 % leaving)
_CUSTOMER_NEEDS = (("interactions.wait_s",), ("interactions",), ("customer_surveys.csat",),
                   ("customers.churned_on",), ("customer_surveys",))
_AGENT_NEEDS = (("agent_requests.answered_at",), ("agent_requests.answered_at",), ("agent_surveys.satisfaction",),
                ("agents.left_on",), ("agent_surveys",))


def _nothing_absent(need: str) -> str | None:
    return None


def mirror_table(figures: pl.DataFrame, absent: Callable[[str], str | None] = _nothing_absent,
                 agent_hidden: str | None = None) -> pl.DataFrame:
    """The table as shown: Measure | Customer | Agent, each value with its unit (definitions:
    mirror_definitions). absent(need) says why the store lacks an input (coverage.Coverage.absent):
    such a cell reads "no data: <why>", never a figure computed from nothing. agent_hidden: why
    the agents' satisfaction is withheld (too few respondents, dashboard/confidential.py)."""
    def cell(value, unit, needs):
        reasons = [reason for reason in map(absent, needs) if reason]
        if reasons:
            return "no data: " + "; ".join(reasons)
        if agent_hidden and needs == ("agent_surveys.satisfaction",):
            return agent_hidden
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "no data in this scope"
        if unit == "s":
            return f"{value:,.0f} s"
        if unit == "h":
            return f"{value:,.1f} h"
        if unit.startswith("%"):
            return f"{value:.1f} %{unit[1:]}"
        return f"{value:.2f} {unit}"
    rows = [(row["measure"], cell(row["customer"], row["customer_unit"], c_needs),
             cell(row["agent"], row["agent_unit"], a_needs))
            for row, c_needs, a_needs in zip(figures.iter_rows(named=True), _CUSTOMER_NEEDS, _AGENT_NEEDS)]
    return pl.DataFrame(rows, schema=["Measure", "Customer", "Agent"], orient="row")


def mirror_definitions() -> str:
    """The definitions behind each row, one plain sentence per line (a Canvas draws plain text)."""
    return "\n".join(f"{measure}: customer = {customer}; agent = {agent}."
                     for measure, customer, agent in MIRROR_ROWS)


def metric_text(fit: Correlation | None, n: int) -> tuple[str, str]:
    """(value, caption) for an st.metric showing a correlation, honest about a small n."""
    if fit is None:
        return "—", f"n = {n} team-months: too few, or one side does not vary"
    return f"{fit.r:+.2f}", f"{fit.interval_text()} · n = {fit.n} team-months"


def sample_note(n: int) -> str | None:
    """A nudge when few team-months carry the figure (the default period is three months)."""
    if n >= 30:
        return None
    return (f"Only {n} team-month pairs: the interval is wide. A longer period (say the whole year) "
            "gives more pairs, especially since agents answer mostly in the quarterly pulse months.")
