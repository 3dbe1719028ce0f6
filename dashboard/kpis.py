"""KPI tiles: what each figure means, how it is shown, which way is better, and its target.

The numbers come from the kpi queries in queries/ (each column there is a KPI id below); this
module only explains and formats them, and compares them with the previous period and target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Kpi:
    id: str
    label: str
    unit: str                 # pct (0-100), seconds, points (NPS-like, -100..100), score
    higher_is_better: bool
    formula: str
    target_scales_with_period: bool = False  # churn: a yearly target converted to the period

    def format(self, value: float | None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "no data"
        if self.unit == "pct":
            return f"{value:.1f} %"
        if self.unit == "seconds":
            return f"{value:.0f} s" if value < 120 else f"{int(value // 60)} min {value % 60:02.0f} s"
        if self.unit == "points":
            return f"{value:+.0f}"
        return f"{value:.2f}"

    def format_delta(self, delta: float) -> str:
        unit = {"pct": " pp", "seconds": " s", "points": " pts", "score": ""}[self.unit]
        digits = 2 if self.unit == "score" else (0 if self.unit in ("seconds", "points") else 1)
        return f"{delta:+.{digits}f}{unit}"


KPIS: dict[str, Kpi] = {k.id: k for k in (
    Kpi("csat", "CSAT", "pct", True, "survey answers of 4 or 5 / all answers"),
    Kpi("nps", "NPS", "points", True, "% of 9-10 minus % of 0-6"),
    Kpi("ces", "CES", "score", False, "mean customer effort, 1 (easy) to 7"),
    Kpi("asa", "ASA", "seconds", False, "total wait of answered contacts / answered contacts"),
    Kpi("service_level", "Service level (20 s)", "pct", True,
        "answered within 20 s / (answered + abandoned after 20 s)"),
    Kpi("abandon_rate", "Abandon rate", "pct", False, "abandoned / offered"),
    Kpi("aht", "AHT", "seconds", False, "handle time / handled contacts"),
    Kpi("fcr", "FCR", "pct", True,
        "resolved with no repeat by the customer on the same touchpoint within 7 days / answered"),
    Kpi("escalation_rate", "Escalation rate", "pct", False, "answered contacts escalated beyond the agent / answered"),
    Kpi("agent_satisfaction", "Agent satisfaction", "pct", True,
        "agent survey answers of 4 or 5 / all answers (channel and touchpoint do not apply)"),
    Kpi("enps", "eNPS", "points", True, "% of agents answering 9-10 minus % answering 0-6"),
    Kpi("attrition_annualised", "Agent attrition (annualised)", "pct", False,
        "mean over the period's months of leavers / average headcount, x 12"),
    Kpi("manager_response_72h", "Manager response within 72 h", "pct", True,
        "agent requests answered within 72 h / requests opened"),
    Kpi("customer_churn", "Customer churn", "pct", False,
        "customers churned in the period / customers active at its start "
        "(with a site, team, channel or touchpoint filter: those the scope has served)",
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


@dataclass(frozen=True)
class Tile:
    kpi: Kpi
    value: float | None
    previous: float | None
    target: float | None

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def meets_target(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target if self.kpi.higher_is_better else self.value <= self.target

    def target_text(self) -> str:
        if self.target is None:
            return "no target set"
        verdict = {True: "met", False: "missed", None: ""}[self.meets_target]
        return f"target {self.kpi.format(self.target)} {verdict}".strip()


def _clean(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def tiles(current: dict, previous: dict, targets: dict[str, float], days: int) -> list[Tile]:
    """One tile per KPI column of a kpi query's single-row results, in the query's column order."""
    out = []
    for column, value in current.items():
        kpi = KPIS[column]
        out.append(Tile(kpi, _clean(value), _clean(previous.get(column)),
                        period_target(kpi, targets.get(column), days)))
    return out
