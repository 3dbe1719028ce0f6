"""KPI tiles: what each figure means, how it is shown, which way is better, and its target.

The numbers come from the kpi queries in queries/ (each column there is a KPI id below, with
<id>_n beside it: the count the figure rests on); this module explains and formats them, and
decides what a tile may honestly claim (the truth rules of docs/design.md section 9):
- a KPI whose inputs no import supplied shows "no data" and why, never 0, never met or missed;
- every figure shows its n;
- a change against the previous period is shown only when both periods lie inside the data and
  both rest on at least a minimum n; otherwise the tile says why there is no comparison;
- a change of zero is neutral.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from dashboard import confidential, config
from dashboard.coverage import ACTIVITY_TABLES, Coverage

N_SUFFIX = "_n"
# an agent-survey KPI's <id>_respondents: the distinct agents behind it (dashboard/confidential.py)
RESPONDENTS_SUFFIX = "_respondents"


@dataclass(frozen=True)
class Kpi:
    id: str
    label: str
    unit: str                 # pct (0-100), seconds, points (NPS-like, -100..100), score
    higher_is_better: bool
    formula: str
    needs: tuple[str, ...] = ()      # store inputs (table.column) without which the KPI is "no data"
    # whose period a comparison must lie inside; survey answers count by their contact's day, so
    # customer survey KPIs follow the contacts' period (an answer comes a day or two after it)
    period_table: str = "contact_intervals"
    n_word: str = "contacts"         # what <id>_n counts
    target_scales_with_period: bool = False  # churn: a yearly target converted to the period
    agent_survey: bool = False       # rests on agents' survey answers: hidden for too few respondents
    short: str = ""                  # the tile's label when `label` would be cut on a tile at 1280 px

    @property
    def tile_label(self) -> str:
        return self.short or self.label

    def format(self, value: float | None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "no data"
        if self.unit == "pct":
            return f"{value:.1f} %"
        if self.unit == "seconds":
            # short enough for a tile: seconds matter in a two-minute call, not in a day-long ticket
            if value >= 3 * 3600:
                return f"{value / 3600:.1f} h"
            if value >= 600:
                return f"{value / 60:.0f} min"
            # "6.2 min", not "6 min 12 s": the longer form was cut on a tile ("8 min 0...")
            return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"
        if self.unit == "points":
            return f"{value:+.0f}"
        return f"{value:.2f}"

    @property
    def delta_digits(self) -> int:
        return 2 if self.unit == "score" else (0 if self.unit in ("seconds", "points") else 1)

    def format_delta(self, delta: float) -> str:
        unit = {"pct": " pp", "seconds": " s", "points": " pts", "score": ""}[self.unit]
        if round(delta, self.delta_digits) == 0:
            return f"{0:.{self.delta_digits}f}{unit}"   # no sign: no change is neither up nor down
        return f"{delta:+.{self.delta_digits}f}{unit}"


KPIS: dict[str, Kpi] = {k.id: k for k in (
    Kpi("csat", "CSAT", "pct", True, "survey answers of 4 or 5 / all answers",
        needs=("contact_intervals.csat_answers",), n_word="answers"),
    Kpi("nps", "NPS", "points", True, "% of 9-10 minus % of 0-6",
        needs=("contact_intervals.nps_answers",), n_word="answers"),
    Kpi("ces", "CES", "score", False, "mean customer effort, 1 (easy) to 7",
        needs=("contact_intervals.ces_answers",), n_word="answers"),
    Kpi("asa", "ASA", "seconds", False, "total wait of answered contacts / answered contacts with a recorded wait",
        needs=("contact_intervals.answered_wait_s",), n_word="answered contacts"),
    Kpi("service_level", "Service level (20 s)", "pct", True,
        "answered within 20 s / (answered + abandoned after 20 s), contacts with a recorded wait",
        needs=("contact_intervals.answered_within_20s", "contact_intervals.abandoned_after_20s"), n_word="contacts", short="Service level"),
    Kpi("abandon_rate", "Abandon rate", "pct", False, "abandoned / offered",
        needs=("contact_intervals.abandoned",), n_word="offered"),
    Kpi("aht", "AHT", "seconds", False, "handle time / handled contacts with a recorded handle time",
        needs=("contact_intervals.handle_s",), n_word="handled"),
    Kpi("fcr", "FCR", "pct", True,
        "resolved with no repeat by the customer on the same touchpoint within 7 days / answered",
        needs=("contact_intervals.first_contact_resolved",), n_word="answered contacts"),
    Kpi("escalation_rate", "Escalation rate", "pct", False, "answered contacts escalated beyond the agent / answered",
        needs=("contact_intervals.escalated",), n_word="answered contacts"),
    Kpi("agent_satisfaction", "Agent satisfaction", "pct", True,
        "agent survey answers of 4 or 5 / all answers (channel and touchpoint do not apply)",
        needs=("agent_surveys.satisfaction",), period_table="agent_surveys", n_word="answers",
        agent_survey=True),
    Kpi("enps", "eNPS", "points", True, "% of agents answering 9-10 minus % answering 0-6",
        needs=("agent_surveys.enps",), period_table="agent_surveys", n_word="answers", agent_survey=True),
    Kpi("attrition_annualised", "Agent attrition (annualised)", "pct", False,
        "mean over the period's months of leavers / average headcount, x 12",
        needs=("agents.left_on",), period_table="agents", n_word="agents on average",
        short="Agent attrition"),
    Kpi("manager_response_72h", "Manager response within 72 h", "pct", True,
        "agent requests answered within 72 h / requests opened",
        needs=("agent_requests.answered_at",), period_table="agent_requests", n_word="requests",
        short="Replies in 72 h"),
    Kpi("customer_churn", "Customer churn", "pct", False,
        "customers churned in the period / customers active at its start "
        "(with a site, team, channel or touchpoint filter: those the scope has served)",
        needs=("customers.churned_on",), period_table="customers", n_word="customers",
        target_scales_with_period=True),
)}


def load_targets(path: Path) -> tuple[dict[str, float], list[str]]:
    """Targets by KPI id, and any problems with the file (a bad entry is ignored, not fatal)."""
    if not path.exists():
        return {}, [f"No targets file at {path}; tiles show no targets."]
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        return {}, [f"{path.name} is not valid YAML ({exc}); tiles show no targets."]
    if not isinstance(raw, dict):
        return {}, [f"{path.name} must map KPI names to numbers; tiles show no targets."]
    targets, problems = {}, []
    for key, value in raw.items():
        if key not in KPIS:
            problems.append(f"{path.name}: '{key}' is not a KPI (known: {', '.join(KPIS)}).")
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{path.name}: target for '{key}' must be a number, not {value!r}.")
        else:
            targets[key] = float(value)
    return targets, problems


def period_target(kpi: Kpi, target: float | None, days: int) -> float | None:
    """Targets are written per year; a rate that accumulates over time (churn) is converted to
    the period's length so a quarter is not judged against a year's allowance."""
    if target is None or not kpi.target_scales_with_period:
        return target
    return 100 * (1 - (1 - target / 100) ** (days / 365.25))


def gaps(coverage: Coverage) -> list[tuple[Kpi, str]]:
    """The KPIs a store with this coverage shows as "no data", each with why."""
    return [(kpi, "; ".join(reasons)) for kpi in KPIS.values() if (reasons := coverage.reasons(kpi.needs))]


def column_problem(column: str, columns: list[str]) -> str | None:
    """Why a kpi query's result column is not allowed, or None. Every column is a KPI id or the
    <id>_n count of a KPI in the same result, and every KPI has its count; an agent-survey KPI also
    has <id>_respondents, the distinct agents it rests on."""
    if column.endswith(N_SUFFIX) and column[:-len(N_SUFFIX)] in KPIS:
        return None if column[:-len(N_SUFFIX)] in columns else f"'{column}' counts a KPI the query does not return"
    kpi = KPIS.get(column.removesuffix(RESPONDENTS_SUFFIX))
    if column.endswith(RESPONDENTS_SUFFIX) and kpi and kpi.agent_survey:
        return None if kpi.id in columns else f"'{column}' counts a KPI the query does not return"
    if column not in KPIS:
        return f"kpi column '{column}' is not a known KPI (known: {', '.join(KPIS)}, each with <id>{N_SUFFIX})"
    if column + N_SUFFIX not in columns:
        return f"kpi column '{column}' needs '{column}{N_SUFFIX}' beside it: the count the figure rests on"
    if KPIS[column].agent_survey and column + RESPONDENTS_SUFFIX not in columns:
        return (f"kpi column '{column}' needs '{column}{RESPONDENTS_SUFFIX}' beside it: the distinct agents whose "
                "answers it rests on (no agent-survey figure is shown for fewer than the threshold)")
    return None


Period = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class Tile:
    kpi: Kpi
    value: float | None
    previous: float | None
    target: float | None
    n: int | None = None
    previous_n: int | None = None
    no_data: str | None = None         # why there is no figure
    no_comparison: str | None = None   # why there is no change against the previous period
    hidden: str | None = None          # why the figure is withheld (too few agent respondents)

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None or self.no_comparison:
            return None
        return self.value - self.previous

    @property
    def delta_is_zero(self) -> bool:
        return self.delta is not None and round(self.delta, self.kpi.delta_digits) == 0

    @property
    def meets_target(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target if self.kpi.higher_is_better else self.value <= self.target

    def value_text(self) -> str:
        return "hidden" if self.hidden else self.kpi.format(self.value)

    def target_text(self) -> str:
        if self.target is None:
            return "no target set"
        verdict = {True: "met", False: "missed", None: ""}[self.meets_target]
        return f"target {self.kpi.format(self.target)} {verdict}".strip()

    def n_text(self) -> str:
        if self.n is None:
            return ""
        return f"n = {self.n:,.0f} {self.kpi.n_word}"


def _clean(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


def _outside(kpi: Kpi, period: Period, which: str, coverage: Coverage) -> str | None:
    """Why `period` does not lie inside the data this KPI rests on, or None. A KPI's data begins
    with its own table's first day, and ends with the store's last day of activity. Registers
    (agents, customers) reach back to the earliest hire, but who left or churned is known only
    while the store records activity, so their data begins with that activity too."""
    own, everything = coverage.period(kpi.period_table), coverage.data_period()
    if own is None or everything is None:
        return f"the store has no {kpi.period_table.replace('_', ' ')} period"
    first, last = own[0], everything[1]
    if kpi.period_table not in ACTIVITY_TABLES:
        first = max(first, everything[0])
    if period[0] < first:
        return f"the {which} period starts {_day(period[0])}, before the data begins ({_day(first)})"
    if period[1] > last:
        return f"the {which} period ends {_day(period[1])}, after the data ends ({_day(last)})"
    return None


def hidden_reason(kpi: Kpi, row: dict, least: int) -> str | None:
    """Why the KPI's figure in a kpi query's row is withheld (an agent-survey KPI resting on answers
    of fewer than `least` agents), or None. A row without answers has nothing to hide."""
    if kpi.agent_survey and row.get(kpi.id + N_SUFFIX) and confidential.too_few(
            row.get(kpi.id + RESPONDENTS_SUFFIX), least):
        return confidential.words(least)
    return None


def _tile(kpi: Kpi, now: dict, before: dict, target: float | None, periods: tuple[Period, Period],
          coverage: Coverage, min_n: int, least: int) -> Tile:
    value, previous = _clean(now.get(kpi.id)), _clean(before.get(kpi.id))
    n, previous_n = now.get(kpi.id + N_SUFFIX), before.get(kpi.id + N_SUFFIX)
    reasons = coverage.reasons(kpi.needs)
    if reasons:
        return Tile(kpi, None, None, target, None, None, no_data="; ".join(reasons))
    # the page's run has already blanked a hidden value (confidential.hide); the tile says why
    if hidden := hidden_reason(kpi, now, least):
        return Tile(kpi, None, None, target, None, None, hidden=hidden)
    previous_hidden = hidden_reason(kpi, before, least)
    if previous_hidden:
        previous = None   # neither shown (a tile's help names it) nor compared (a change gives it away)
    if value is None:
        return Tile(kpi, None, None, target, n, previous_n, no_data=f"no {kpi.n_word} in this period")
    why_not = (_outside(kpi, periods[0], "current", coverage) or _outside(kpi, periods[1], "previous", coverage))
    if why_not is None and previous_hidden:
        why_not = f"the previous period's figure is hidden ({previous_hidden})"
    if why_not is None and (previous is None or not previous_n):
        why_not = f"the previous period has no {kpi.n_word}"
    if why_not is None and min(n or 0, previous_n or 0) < min_n:
        low, which = (n, "this") if (n or 0) < (previous_n or 0) else (previous_n, "the previous")
        why_not = f"{which} period rests on {low or 0:,.0f} {kpi.n_word}, fewer than {min_n}"
    return Tile(kpi, value, previous, target, n, previous_n, no_comparison=why_not)


def tiles(current: dict, previous: dict, targets: dict[str, float], days: int, coverage: Coverage,
          periods: tuple[Period, Period], min_n: int, least: int | None = None) -> list[Tile]:
    """One tile per KPI column of a kpi query's single-row results, in the query's column order.
    periods: (current, previous) as (first day, last day). least: the fewest agent respondents an
    agent-survey KPI may rest on (config.min_respondents() unless given); below it the tile says so
    and shows no value and no change."""
    least = config.min_respondents() if least is None else least
    return [_tile(KPIS[column], current, previous, period_target(KPIS[column], targets.get(column), days),
                  periods, coverage, min_n, least)
            for column in current if column in KPIS]
