"""Readings in words of the relationship figures, generated from the same statistics the charts
draw (dashboard/mirror.py for the bands, dashboard/relations.py for the team-month view, both for
the query files whose header declares a `reading:`, drawn by present.chart): the size
of the difference with its interval and n, "association, not proof of cause", and plainly "no
detectable link" when the interval spans 0, or "too little data" when there is nothing to compare.
Plain text: a Canvas escapes it (names from data never reach here)."""

from __future__ import annotations

import re

import polars as pl

from dashboard import mirror, relations
from dashboard.chartspec import ChartSpec
from dashboard.relations import Correlation, Relationship

CAUTION = "Association, not proof of cause."
NO_LINK = "no detectable link"

# how each outcome reads after "Customers of ... agents"
_PHRASES = {
    "csat": "were satisfied {} of the time",
    "nps": "gave an NPS of {}",
    "fcr": "had their contact resolved first time {} of the time",
    "escalation": "saw {} of their contacts escalated",
    "aht": "were served in {} on average (AHT)",
}


def _value(outcome: mirror.Outcome, value: float) -> str:
    if outcome.unit == "%":
        return f"{value:.1f} %"
    if outcome.unit == "s":
        return f"{value:,.0f} s"
    return f"{value:+.1f}"


def _interval(outcome: mirror.Outcome, found: mirror.Estimate) -> str:
    return f"95 % CI {_value(outcome, found.low)} to {_value(outcome, found.high)}"


def _difference(outcome: mirror.Outcome, diff: mirror.Estimate) -> tuple[str, str]:
    """(the size of the difference in words, its interval's bounds)."""
    size = abs(diff.value)
    if outcome.unit == "s":
        amount = f"{size:,.0f} s {'longer' if diff.value > 0 else 'shorter'}"
        bounds = f"{diff.low:+,.0f} to {diff.high:+,.0f} s"
    else:
        amount = f"{size:.1f} points {'higher' if diff.value > 0 else 'lower'}"
        bounds = f"{diff.low:+.1f} to {diff.high:+.1f} points"
    return amount, bounds


def _who(item: mirror.LeverBands, band: mirror.Band, top: bool) -> str:
    if item.key == "manager_72h":
        return f"agents whose manager {'met' if top else 'missed'} the 72 h answer target"
    return f"the {item.lever.high if top else item.lever.low} {item.split} of agents"


def lever_reading(item: mirror.LeverBands, outcome_key: str) -> str:
    """One lever's reading for one outcome: the top band against the bottom band."""
    outcome = mirror.OUTCOMES[outcome_key]
    if not item.comparable:
        return f"{item.lever.label}: {item.problem or 'too little data.'}"
    bottom, top = item.bands[0], item.bands[-1]
    high, low = mirror.estimate(outcome, top.row), mirror.estimate(outcome, bottom.row)
    diff = mirror.difference(outcome, top.row, bottom.row)
    if high is None or low is None or diff is None:
        return (f"{item.lever.label}: too little data: the customers of one band gave no "
                f"{outcome.label} {outcome.n_words} in these filters.")
    phrase = _PHRASES[outcome_key]
    text = (f"Customers of {_who(item, top, True)} {phrase.format(_value(outcome, high.value))} "
            f"({_interval(outcome, high)}; n = {high.n:,} {outcome.n_words}, {top.agents} agents) against "
            f"{_value(outcome, low.value)} for {_who(item, bottom, False)} ({_interval(outcome, low)}; "
            f"n = {low.n:,} {outcome.n_words}, {bottom.agents} agents): ")
    amount, bounds = _difference(outcome, diff)
    if diff.low <= 0 <= diff.high:
        text += f"{amount} (95 % CI {bounds}), an interval that spans 0: {NO_LINK}."
    else:
        text += f"{amount} (95 % CI {bounds})."
    return f"{text} {CAUTION}"


def headline(item: mirror.LeverBands) -> str | None:
    """The overview's mirror line: CSAT of the customers of the top and bottom bands of agent
    satisfaction, with n; None when the bands cannot be formed."""
    outcome = mirror.OUTCOMES["csat"]
    if not item.comparable:
        return None
    top, bottom = item.bands[-1], item.bands[0]
    high, low = mirror.estimate(outcome, top.row), mirror.estimate(outcome, bottom.row)
    if high is None or low is None:
        return None
    # one short line: on a phone the overview's first chart must still begin within two screens
    return (f"Customers' CSAT: {high.value:.1f} % (n = {high.n:,}) with the {item.lever.high} {item.split} "
            f"of agents, {low.value:.1f} % (n = {low.n:,}) with the {item.lever.low}; association, not proof "
            "of cause.")


def _link(fit: Correlation) -> str:
    if fit.n <= 3 or fit.low <= 0 <= fit.high:
        return NO_LINK
    return "customers score higher where agents are more satisfied" if fit.r > 0 else \
        "customers score lower where agents are more satisfied"


def team_month_reading(result: Relationship) -> str:
    """The team-month view in words: between teams and months pooled, then within a team, and
    what the pair means together."""
    pooled, within = result.pooled, result.within
    if pooled is None and within is None:
        return (f"Too little data: {result.pairs.height} team-month pairs, too few for a correlation. "
                f"{CAUTION}")
    parts = []
    if pooled is not None:
        parts.append(f"Pooled over teams and months: {pooled.describe()}: {_link(pooled)}.")
    else:
        parts.append(f"Pooled over teams and months: too little data ({result.pairs.height} team-months).")
    if within is not None:
        parts.append(f"Within a team, month against month: {within.describe()}: {_link(within)}.")
    else:
        parts.append(f"Within a team: too little data ({result.within_pairs.height} team-months).")
    pooled_link = pooled is not None and _link(pooled) != NO_LINK
    within_link = within is not None and _link(within) != NO_LINK
    if pooled_link and not within_link:
        parts.append("The link is between teams (which team, which manager), not within a team from month "
                     "to month.")
    elif within_link:
        parts.append("The link holds within teams, not only between them.")
    return " ".join(parts) + f" {CAUTION}"


# ---- readings of query files' charts (the header's `reading:`, chartspec.Reading) -----------------

POOLED = ("not read: a pooled line mixes the other series, whose shares of each category differ, so it "
          "can bend where none of them does.")
NO_INTERVAL = ("This chart gives no interval for a difference of medians, so it cannot say whether a "
               "difference is larger than chance.")


def _in_sentence(label: str) -> str:
    """A label inside a sentence: 'Time in queue' reads 'time in queue', 'CSAT %' stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _quantity(label: str) -> str:
    """What an axis measures, inside a sentence: 'Agent satisfaction % (4-5 of 5)' reads 'agent
    satisfaction' (the unit and the definition are on the axis)."""
    return _in_sentence(re.sub(r"\s*\([^)]*\)$", "", label).removesuffix("%").strip())


def _n(count: int, noun: str) -> str:
    """n = 1,234 survey answers, n = 1 survey answer; a count column labelled only 'n' gets no noun.
    The nouns are the count columns' labels, plural English ("contacts", "team-months")."""
    if noun in ("", "n"):
        return f"n = {count:,}"
    return f"n = {count:,} {noun.removesuffix('s') if count == 1 else noun}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _measure(spec: ChartSpec, series: str | None) -> tuple[str, bool]:
    """(what y measures in words, whether that came from the series' name): 'CSAT %' reads 'CSAT';
    a long-form chart whose y is only '%' is named by its series ('FCR %')."""
    name = _quantity(spec.label(spec.y[0]))
    if name or series is None:
        return name or spec.y[0], False
    return _quantity(series), True


def chart_reading(spec: ChartSpec, rows: pl.DataFrame) -> str:
    """The chart's reading in words, from the rows it draws (after unknown buckets and hidden
    agent-survey figures are left out): each series of `by` apart, the series in `leave_out` named
    as not read, then "Association, not proof of cause."."""
    reading = spec.reading
    assert reading is not None
    read = {"compare": _compare, "medians": _medians, "correlate": _correlate}[reading.kind]
    if reading.by is None:
        return f"{read(spec, rows, None)} {CAUTION}"
    parts, skipped = [], []
    for (series,), group in rows.group_by(reading.by, maintain_order=True):
        if series is None:
            continue
        if str(series) in reading.leave_out:
            skipped.append(str(series))
            continue
        parts.append(read(spec, group, str(series)))
    if not parts:
        parts.append(f"Too little data: no {_in_sentence(spec.label(reading.by))} to read in these filters.")
    if skipped:
        parts.append(f"{', '.join(skipped)} {'is' if len(skipped) == 1 else 'are'} {POOLED}")
    return " ".join(parts) + f" {CAUTION}"


def _categories(spec: ChartSpec, rows: pl.DataFrame, needed: tuple[str, ...]) -> list[dict]:
    """The drawn categories that have a value and an n, in the chart's order."""
    keep = rows.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in (spec.x, spec.y[0], *needed)),
                       pl.col(spec.reading.n) > 0)
    return list(keep.iter_rows(named=True))


def _too_few(spec: ChartSpec, count: int, who: str) -> str:
    return _sentence(f"{who}: too little data: {count} categor{'y' if count == 1 else 'ies'} of "
                     f"{_in_sentence(spec.label(spec.x))} in these filters; a comparison needs two.")


def _compare(spec: ChartSpec, rows: pl.DataFrame, series: str | None) -> str:
    """A share in one category against another, each with its Wilson interval and n, and the
    difference with Newcombe's interval (the mirror's statistics)."""
    reading = spec.reading
    measure, named_by_series = _measure(spec, series)
    prefix = f"{series}, " if series is not None and not named_by_series else ""
    found = _categories(spec, rows, (reading.hits,))
    if len(found) < 2:
        return _too_few(spec, len(found), prefix + measure)
    outcome = mirror.Outcome(measure, "share", (reading.hits, reading.n), "%", spec.count_noun(reading.n))
    where = _in_sentence(spec.label(spec.x))

    def stated(row: dict) -> tuple[str, str]:
        """(the share, its interval and n)."""
        est = mirror.estimate(outcome, row)
        return _value(outcome, est.value), f"({_interval(outcome, est)}; {_n(est.n, outcome.n_words)})"

    def against(row: dict, base: dict) -> str:
        diff = mirror.difference(outcome, row, base)
        amount, bounds = _difference(outcome, diff)
        spans = f", an interval that spans 0: {NO_LINK}" if diff.low <= 0 <= diff.high else ""
        return f"{amount} (95 % CI {bounds}){spans}."

    base = found[0]
    if reading.against == "ends":
        last = found[-1]
        return _sentence(f"{prefix}{measure} where {where} is {last[spec.x]}: {' '.join(stated(last))} against "
                         f"{stated(base)[0]} where it is {base[spec.x]} {stated(base)[1]}: {against(last, base)}")
    text = [_sentence(f"{prefix}{measure} where {where} is {base[spec.x]}: {' '.join(stated(base))}.")]
    text += [f"Where it is {row[spec.x]}: {' '.join(stated(row))}: {against(row, base)}" for row in found[1:]]
    return " ".join(text)


def _medians(spec: ChartSpec, rows: pl.DataFrame, series: str | None) -> str:
    """Medians and their n, each category against the baseline, saying plainly that no interval
    of the difference is given (a difference of medians needs the contacts, not these rows)."""
    reading = spec.reading
    measure, named_by_series = _measure(spec, series)
    prefix = f"{series}, " if series is not None and not named_by_series else ""
    found = _categories(spec, rows, ())
    if len(found) < 2:
        return _too_few(spec, len(found), prefix + measure)
    unit = f" {reading.unit}" if reading.unit else ""
    noun, where, y = spec.count_noun(reading.n), _in_sentence(spec.label(spec.x)), spec.y[0]

    def stated(row: dict) -> str:
        return f"{row[y]:,.1f}{unit} ({_n(int(row[reading.n]), noun)})"

    def against(row: dict, base: dict) -> str:
        gap = float(row[y]) - float(base[y])
        size = f"{abs(gap):,.1f}"
        return "about the same" if size == "0.0" else f"{size}{unit} {'more' if gap > 0 else 'less'}"

    base = found[0]
    if reading.against == "ends":
        last = found[-1]
        text = _sentence(f"{prefix}{measure} where {where} is {last[spec.x]}: {stated(last)} against "
                         f"{stated(base)} where it is {base[spec.x]}: {against(last, base)}.")
    else:
        text = " ".join([_sentence(f"{prefix}{measure} where {where} is {base[spec.x]}: {stated(base)}.")]
                        + [f"Where it is {row[spec.x]}: {stated(row)}, {against(row, base)}." for row in found[1:]])
    return f"{text} {NO_INTERVAL}"


def _correlate(spec: ChartSpec, rows: pl.DataFrame, series: str | None) -> str:
    """Pearson's r of the chart's x and y over its points, with its 95 % interval and n
    (relations.correlate: scipy's interval)."""
    reading = spec.reading
    measure, named_by_series = _measure(spec, series)
    prefix = f"{series}: " if series is not None else ""
    x, y, points = spec.x, spec.y[0], reading.points
    pairs = rows.select(x, y).drop_nulls()
    if not (pairs.schema[x].is_numeric() and pairs.schema[y].is_numeric()):
        return _sentence(f"{prefix}no reading: a correlation needs numbers on both axes.")
    fit = relations.correlate(pairs.cast(pl.Float64), x, y)
    if fit is None:
        if pairs.height < relations.MIN_PAIRS:
            return _sentence(f"{prefix}too little data: a correlation needs at least {relations.MIN_PAIRS} {points} "
                             f"with both values; these filters leave {pairs.height}.")
        return _sentence(f"{prefix}too little data: one axis does not vary over the {pairs.height} {points}.")
    if fit.n <= 3 or fit.low <= 0 <= fit.high:
        link = NO_LINK + ("" if fit.n <= 3 else " (the interval spans 0)")
    else:
        link = f"{measure} tends to be {'higher' if fit.r > 0 else 'lower'} where {_quantity(spec.label(x))} is higher"
    return _sentence(f"{prefix}Pearson's r = {fit.r:+.2f} ({fit.interval_text()}), "
                     f"n = {fit.n} {points}: {link}.")


# ---- retention by tenure (the attrition page's curves, dashboard/survival.py) ----------------------
# imported here, beside the readings that use it, so that this block merges as one piece
from dashboard import survival  # noqa: E402


def _still_employed(point: survival.Point, who: str) -> str:
    if point.low_pct is None:   # nobody of the group had left by then: log(-log) has no interval at 100 %
        detail = "no one had left by then, so no interval"
    else:
        detail = f"95 % CI {point.low_pct:.1f} % to {point.high_pct:.1f} %"
    return f"{point.share_pct:.1f} % of {who} ({detail}; {point.agents:,} agents)"


def retention_reading(gap: survival.Gap, better: str, worse: str) -> str:
    """Two retention curves compared in words at one tenure (survival.compare): each group's share still
    employed with its interval and agents, the difference with its interval, and the caution. better,
    worse: the groups as they read after "of", e.g. "agents whose manager met the 72 h answer target"."""
    if gap.problem:
        return f"Too little data to compare {better} with {worse}: {gap.problem}. {CAUTION}"
    if gap.capped:
        when = (f"After {gap.months:.1f} months of tenure (the longest both curves reach; "
                f"{survival.READING_MONTHS} months is beyond one of them)")
    else:
        when = f"After {gap.months:g} months of tenure"
    amount = f"{abs(gap.difference_pct):.1f} points {'higher' if gap.difference_pct > 0 else 'lower'}"
    bounds = f"95 % CI {gap.low_pct:+.1f} to {gap.high_pct:+.1f} points"
    text = (f"{when}, {_still_employed(gap.better, better)} were still employed, against "
            f"{_still_employed(gap.worse, worse)}: {amount} ({bounds})")
    if gap.low_pct <= 0 <= gap.high_pct:
        text += f", an interval that spans 0: {NO_LINK}"
    return f"{text}. {CAUTION}"


def manager_retention_reading(curves) -> str:
    """The manager-response curves in words: met against missed the 72 h answer target."""
    return retention_reading(survival.compare(curves, "Manager met", "Manager missed"),
                             "agents whose manager met the 72 h answer target", "agents whose manager missed it")


def satisfaction_retention_reading(curves) -> str:
    """The satisfaction curves in words: the top quartile against the bottom one (agents with no survey
    answer are not a quartile)."""
    return retention_reading(survival.compare(curves, "Top quartile", "Bottom quartile"),
                             "the top quartile of agents by their own satisfaction", "the bottom quartile")
