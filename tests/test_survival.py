"""Retention curves (dashboard/survival.py): Kaplan-Meier with Greenwood's standard error and its 95 %
interval, against statsmodels' SurvfuncRight (an independent implementation), lifelines' published
figures and hand computations; the comparison of two curves at 12 months of tenure and its reading in
words (dashboard/readings.py) against a plain loop over the agents' rows; and the memory that builds a
split's curves, figure and reading once per tenure rows."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from dashboard import catalogue, config, figures, filters, readings, survival
from dashboard.sections import attrition

Z = 1.959963984540054
YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


# ---- Kaplan-Meier ---------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(40))
def test_kaplan_meier_equals_statsmodels_with_left_truncation_and_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 80))
    entry = (rng.integers(0, 15, n) * rng.integers(0, 2, n)).astype(float)   # ties with exits on purpose
    exit_ = entry + rng.integers(1, 30, n)
    left = rng.random(n) < 0.5
    left[0] = True
    km = survival.kaplan_meier(exit_, left, entry).slice(1)
    fit = SurvfuncRight(exit_, left.astype(float), entry=entry)
    assert km["days"].to_list() == fit.surv_times.tolist()
    assert km["at_risk"].to_list() == fit.n_risk.astype(int).tolist()
    assert km["leavers"].to_list() == fit.n_events.astype(int).tolist()
    assert km["survival"].to_numpy() == pytest.approx(fit.surv_prob, rel=1e-12, abs=1e-15)
    # Greenwood's standard error, undefined (statsmodels: nan) once everyone at risk has left
    defined = np.isfinite(fit.surv_prob_se)
    assert km["std_error"].is_null().to_numpy().tolist() == (~defined).tolist()
    assert km["std_error"].to_numpy()[defined] == pytest.approx(fit.surv_prob_se[defined], rel=1e-12, abs=1e-15)


def test_kaplan_meier_equals_the_published_6mp_values():
    # docs/design.md section 12: Freireich's 6-MP leukaemia trial, treatment arm (weeks; + censored);
    # survival as published there, Greenwood's standard errors as R's survfit prints them
    weeks = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    relapsed = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    km = survival.kaplan_meier(weeks, relapsed).slice(1)
    assert km["days"].to_list() == [6, 7, 10, 13, 16, 22, 23]
    assert km["survival"].round(4).to_list() == [0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482]
    assert km["std_error"].round(4).to_list() == [0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282, 0.1346]


def test_kaplan_meier_interval_equals_lifelines():
    # lifelines 0.30.3, KaplanMeierFitter().fit([2, 3, 3, 5, 8], [1, 1, 0, 1, 0]).confidence_interval_
    # survival_function_ at 2, 3 and 5 (its default: the log(-log) interval)
    published = [(0.20380926326763904, 0.9691797888667427), (0.1257301829944313, 0.8817564073935323),
                 (0.012301529425416074, 0.7192180208104151)]
    km = survival.kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False])
    assert km["low"][0] is None and km["high"][0] is None   # at 100 %: no interval
    assert km["low"][1:].to_list() == pytest.approx([low for low, _ in published], rel=1e-12)
    assert km["high"][1:].to_list() == pytest.approx([high for _, high in published], rel=1e-12)


def test_kaplan_meier_interval_with_left_truncation_equals_hand_computed_values():
    # (entry, exit, left): A (0, 2, yes), B (0, 5, no), C (3, 6, yes), D (1, 4, yes).
    # At 2: 3 at risk, 1 leaves: S = 2/3, Greenwood sum 1/(3*2). At 4: 3 at risk (B, C, D), 1 leaves:
    # S = 4/9, sum 1/6 + 1/6. At 6: C alone leaves: S = 0, no interval.
    km = survival.kaplan_meier([2, 5, 6, 4], [1, 0, 1, 1], entry_days=[0, 0, 3, 1])
    for row, s, greenwood in ((1, 2 / 3, 1 / 6), (2, 4 / 9, 1 / 3)):
        spread = Z * math.sqrt(greenwood) / abs(math.log(s))
        assert km["std_error"][row] == pytest.approx(s * math.sqrt(greenwood), rel=1e-12)
        assert km["low"][row] == pytest.approx(s ** math.exp(spread), rel=1e-12)
        assert km["high"][row] == pytest.approx(s ** math.exp(-spread), rel=1e-12)
    assert km["survival"][3] == 0 and km["std_error"][3] is None and km["low"][3] is None


# ---- comparing two curves, in words ---------------------------------------------------------------

def plain_km(rows: list[tuple[float, float, bool]], days: float) -> tuple[float, float, int]:
    """From (entry, exit, left) rows alone, by the definitions: S(days) as the product over leaving
    tenures t <= days of 1 - leavers/at risk (at risk: entry < t <= exit), Greenwood's variance
    S^2 * sum leavers / (at risk * (at risk - leavers)), and the agents."""
    s, total = 1.0, 0.0
    for t in sorted({x for _, x, gone in rows if gone and 0 < x <= days}):
        at_risk = sum(1 for e, x, _ in rows if e < t <= x)
        leavers = sum(1 for _, x, gone in rows if gone and x == t)
        s *= 1 - leavers / at_risk
        total += leavers / (at_risk * (at_risk - leavers))
    return s, s * s * total, len(rows)


def interval(s: float, variance: float) -> tuple[float, float]:
    spread = Z * math.sqrt(variance / s**2) / abs(math.log(s))
    return s ** math.exp(spread), s ** math.exp(-spread)


def agents_frame(groups: dict[str, list[tuple[float, float, bool]]]) -> pl.DataFrame:
    return pl.DataFrame([{"manager_group": name, "entry_days": e, "exit_days": x, "left_in_period": gone}
                         for name, rows in groups.items() for e, x, gone in rows])


def expected_reading(rows_met, rows_missed, days: float) -> dict:
    """The figures the reading must state, computed from the rows."""
    s1, v1, n1 = plain_km(rows_met, days)
    s2, v2, n2 = plain_km(rows_missed, days)
    diff, spread = s1 - s2, Z * math.sqrt(v1 + v2)
    return {"met": f"{100 * s1:.1f} % of agents whose manager met the 72 h answer target "
                   f"(95 % CI {100 * interval(s1, v1)[0]:.1f} % to {100 * interval(s1, v1)[1]:.1f} %; {n1} agents)",
            "missed": f"{100 * s2:.1f} % of agents whose manager missed it (95 % CI {100 * interval(s2, v2)[0]:.1f} % "
                      f"to {100 * interval(s2, v2)[1]:.1f} %; {n2} agents)",
            "difference": f"{100 * abs(diff):.1f} points {'higher' if diff > 0 else 'lower'} "
                          f"(95 % CI {100 * (diff - spread):+.1f} to {100 * (diff + spread):+.1f} points)",
            "spans_zero": diff - spread <= 0 <= diff + spread}


def cohort(agents: int, leave_days: list[float], followed_to: float, entry: float = 0.0):
    """agents followed from entry; the first len(leave_days) leave on those days, the rest are censored."""
    return [(entry, day, True) for day in leave_days] + [(entry, followed_to, False)] * (agents - len(leave_days))


def test_a_clear_difference_reads_with_both_shares_their_intervals_and_the_difference():
    met = cohort(60, [40, 90, 200, 300, 420, 500], 800) + cohort(20, [250], 700, entry=100)
    missed = cohort(60, [20, 35, 60, 80, 95, 120, 150, 150, 180, 220, 260, 300, 330, 340, 360, 380, 390, 600],
                    800) + cohort(20, [130, 200, 310], 700, entry=100)
    curves = survival.retention_curves(agents_frame({"Manager met the 72 h target": met,
                                                     "Manager missed the 72 h target": missed}), "manager_group")
    text = readings.manager_retention_reading(curves)
    want = expected_reading(met, missed, 12 * survival.DAYS_PER_MONTH)
    assert not want["spans_zero"]
    assert text.startswith("After 12 months of tenure, ")
    assert f"{want['met']} were still employed, against {want['missed']}: {want['difference']}." in text
    assert readings.NO_LINK not in text and text.endswith("Association, not proof of cause.")


def test_no_detectable_link_when_the_difference_interval_spans_zero():
    met = cohort(20, [50, 200, 300], 500)
    missed = cohort(20, [60, 150, 250, 320], 500)
    curves = survival.retention_curves(agents_frame({"Manager met the 72 h target": met,
                                                     "Manager missed the 72 h target": missed}), "manager_group")
    text = readings.manager_retention_reading(curves)
    want = expected_reading(met, missed, 12 * survival.DAYS_PER_MONTH)
    assert want["spans_zero"]
    assert f"{want['difference']}, an interval that spans 0: no detectable link." in text


def test_the_reading_falls_back_to_the_last_month_both_curves_reach():
    # the missed group is followed only to day 240 (about 7.9 months): the curves are compared there
    met = cohort(30, [30, 100, 200, 400], 700)
    missed = cohort(30, [20, 50, 90, 120, 160, 200], 240)
    curves = survival.retention_curves(agents_frame({"Manager met the 72 h target": met,
                                                     "Manager missed the 72 h target": missed}), "manager_group")
    gap = survival.compare(curves, "Manager met", "Manager missed")
    assert gap.capped and gap.months == pytest.approx(240 / survival.DAYS_PER_MONTH)
    text = readings.manager_retention_reading(curves)
    assert text.startswith(f"After {240 / survival.DAYS_PER_MONTH:.1f} months of tenure (the longest both curves "
                           "reach; 12 months is beyond one of them), ")
    assert expected_reading(met, missed, 240)["difference"] in text


def test_too_little_data_when_a_group_has_no_curve():
    curves = survival.retention_curves(agents_frame({"Manager missed the 72 h target": cohort(30, [20, 50], 400)}),
                                       "manager_group")
    text = readings.manager_retention_reading(curves)
    assert text.startswith("Too little data to compare agents whose manager met the 72 h answer target")
    assert "%" not in text and text.endswith("Association, not proof of cause.")


def test_satisfaction_compares_the_top_with_the_bottom_quartile_not_the_no_answer_group():
    top, bottom = cohort(40, [100, 300], 600), cohort(40, [30, 60, 90, 150, 200, 250, 330, 350], 600)
    none = cohort(40, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 600)   # would be the worst by far
    frame = pl.DataFrame([{"satisfaction_group": name, "entry_days": e, "exit_days": x, "left_in_period": gone}
                          for name, rows in (("Top quartile (mean 4.2-5.0)", top),
                                             ("Bottom quartile (mean 1.0-2.9)", bottom), ("No survey answers", none))
                          for e, x, gone in rows])
    text = readings.satisfaction_retention_reading(survival.retention_curves(frame, "satisfaction_group"))
    s1, v1, _ = plain_km(top, 12 * survival.DAYS_PER_MONTH)
    s2, v2, _ = plain_km(bottom, 12 * survival.DAYS_PER_MONTH)
    assert f"{100 * s1:.1f} % of the top quartile of agents by their own satisfaction" in text
    assert f"{100 * s2:.1f} % of the bottom quartile (95 % CI" in text
    assert f"{100 * (s1 - s2):.1f} points higher (95 % CI {100 * (s1 - s2 - Z * math.sqrt(v1 + v2)):+.1f}" in text


def test_the_demo_readings_state_the_figures_of_the_agents_rows(con):
    values = {**filters.Filters(*YEAR).as_params(), **catalogue.page_param_defaults()}
    tenure = catalogue.execute(con, catalogue.load(config.queries_dir()).get("attrition_agent_tenure"), values)
    rows = {name: [(e, x, gone) for e, x, gone in group.select("entry_days", "exit_days", "left_in_period").rows()
                   if x > e]
            for (name,), group in tenure.group_by("manager_group")}
    curves = survival.retention_curves(tenure, "manager_group", "manager_order")
    gap = survival.compare(curves, "Manager met", "Manager missed")
    assert gap.problem is None
    want = expected_reading(rows["Manager met the 72 h target"], rows["Manager missed the 72 h target"],
                            gap.months * survival.DAYS_PER_MONTH)
    text = readings.manager_retention_reading(curves)
    assert f"{want['met']} were still employed, against {want['missed']}: {want['difference']}" in text


# ---- built once per data --------------------------------------------------------------------------

def test_a_splits_curves_figure_and_reading_are_built_once_per_tenure_rows():
    made = []

    def reading(curves: pl.DataFrame) -> str:
        made.append(curves.height)
        return "words"

    figures._drawn.clear()
    rows = agents_frame({"Manager met the 72 h target": cohort(30, [30, 100], 500),
                         "Manager missed the 72 h target": cohort(30, [20, 60, 90], 500)})
    once = survival.retention(rows, "manager_group", None, "Manager", reading)
    assert once.reading == "words" and once.figure is not None and len(made) == 1
    again = survival.retention(rows.clone(), "manager_group", None, "Manager", reading)   # equal rows
    assert again is once and len(made) == 1
    changed = rows.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(45).otherwise(pl.col("exit_days"))
                                .alias("exit_days"))
    assert survival.retention(changed, "manager_group", None, "Manager", reading) is not once and len(made) == 2


def test_the_memory_stays_bounded(monkeypatch):
    monkeypatch.setattr(figures, "DRAWN_KEEP", 3)
    figures._drawn.clear()
    for n in range(5):
        figures.remembered(("test", n), lambda n=n: n)
    assert len(figures._drawn) == 3 and [key[1] for key in figures._drawn] == [2, 3, 4]


def test_each_split_names_a_reading():
    assert [split.reading for split in attrition.SPLITS] == [readings.satisfaction_retention_reading,
                                                            readings.manager_retention_reading]
