"""Attrition sections: agents' retention curves by tenure (Kaplan-Meier, dashboard/survival.py),
split by agent satisfaction and by manager response. Plain code on a Canvas."""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from dashboard import readings, survival
from dashboard.canvas import Canvas, reads

TENURE_QUERY = "attrition_agent_tenure"


class Split(NamedTuple):
    heading: str
    need: str        # the store input the split rests on (coverage.reasons)
    group: str       # attrition_agent_tenure's column naming each agent's group
    order: str       # its column ordering the groups
    legend: str
    note: str
    reading: object  # curves -> words comparing the best group with the worst (dashboard/readings.py)


SPLITS = (
    Split("By agent satisfaction", "agent_surveys.satisfaction", "satisfaction_group", "satisfaction_order",
          "Satisfaction quartile",
          "Quartiles of each agent's mean survey satisfaction (1-5, all answers up to the period's end). Agents "
          "with no answer form their own group: they are mostly those who left before their first survey, so its "
          "curve falls fast by construction, and the quartiles hold only agents who stayed long enough to answer.",
          readings.satisfaction_retention_reading),
    Split("By manager response", "agent_requests.answered_at", "manager_group", "manager_order", "Manager",
          "A manager met the target when at least 80 % of the team's agent requests, from the start of the record "
          "to the period's end, were answered within 72 h (unanswered requests count as missed).",
          readings.manager_retention_reading),
)


@reads(TENURE_QUERY)
def retention_by_tenure(canvas: Canvas) -> None:
    """Share of agents still employed after each month of tenure, one chart per split, side by side."""
    canvas.heading("Agent retention by tenure")
    canvas.caption("Share of agents still employed after each month of tenure (Kaplan-Meier). A curve needs a "
                   "long window, so it uses everything from the start of the store's record to the end of the "
                   "period: agents hired before the record starts count only from then on (left truncation), and "
                   "those still employed at the period's end are censored. Each curve stops where fewer than "
                   f"{survival.MIN_AT_RISK} agents remain at risk. Intervals are 95 % (Greenwood's variance; "
                   "log(-log) for a curve, on hover; the two variances summed for a difference, in the reading "
                   "under each chart). Site and team filters apply; channel and touchpoint do not. Association, "
                   "not proof of cause.")
    data = canvas.data
    tenure = data.query(TENURE_QUERY)
    missing = data.missing(tenure)  # without leaving dates every curve would stay at 100 %
    agents = None if missing else data.run(tenure, data.bound())
    hidden = data.hidden.get(tenure.name)
    for column, split in zip(canvas.columns(len(SPLITS)), SPLITS):
        note = hidden.short() if hidden and split.group in (tenure.respondents or {}) else None
        _curves(column, split, missing or data.coverage.reasons([split.need]), agents, note)


def _curves(canvas: Canvas, split: Split, missing: list[str], agents: pl.DataFrame | None,
            hidden: str | None = None) -> None:
    canvas.strong(split.heading)
    if missing:
        canvas.no_data(missing)
        return
    # a group hidden for too few respondents has its name blanked: it gets no curve of its own
    shown = agents.filter(pl.col(split.group).is_not_null())
    if shown.is_empty():
        canvas.notice("info", hidden or "No agents were employed in this scope and period.")
        return
    # built once per tenure rows, for every session (survival.retention)
    made = survival.retention(shown, split.group, split.order, split.legend, split.reading)
    if made.figure is None:
        canvas.notice("info", "No agent of this scope was observed for any time before the period's end.")
    else:
        canvas.chart(f"retention_{split.group}", made.figure)
        canvas.caption(made.reading)
        canvas.caption(split.note)
    if hidden:
        canvas.notice("info", hidden)
