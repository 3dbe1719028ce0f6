"""Global filters and their URL form.

The URL is the contract with executives: `?from=2025-03-01&to=2025-05-31&team=Aurora` must show
that view to anyone who opens it. Names, not ids, travel in the URL so a link reads plainly.
A parameter that is malformed or names nothing in the store falls back to its default, and the
reason is returned as a notice for the page to show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace

import duckdb

from dashboard import catalogue, config, coverage, store

ALL = "All"
URL_KEYS = ("from", "to", "site", "team", "channel", "touchpoint")


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date          # inclusive
    site: str | None = None
    team: str | None = None
    channel: str | None = None
    touchpoint: str | None = None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous_period(self) -> Filters:
        """The period of equal length that ends the day before this one starts."""
        return replace(self, date_from=self.date_from - dt.timedelta(days=self.days),
                       date_to=self.date_from - dt.timedelta(days=1))

    def as_params(self) -> dict:
        """The values every query may bind (catalogue.KNOWN_PARAMS)."""
        return asdict(self)

    def describe(self) -> str:
        scope = [v for v in (self.site, self.team, self.channel, self.touchpoint) if v]
        return f"{self.date_from:%d %b %Y} to {self.date_to:%d %b %Y}" + (f" · {' · '.join(scope)}" if scope else "")


@dataclass(frozen=True)
class Choices:
    """What the store holds, so the URL can be checked against it. first_day and last_day are the
    period its data covers; None when it holds no dated row at all (nothing was imported)."""
    first_day: dt.date | None
    last_day: dt.date | None
    sites: tuple[str, ...]
    teams: dict[str, str]             # team name -> site
    channels: tuple[str, ...]
    touchpoints: tuple[str, ...]
    scope: str | None = None          # the signed-in person's scope in words, when it is narrower than all

    @property
    def has_data(self) -> bool:
        return self.last_day is not None

    def default_period(self) -> tuple[dt.date, dt.date]:
        """The last three calendar months with data: a quarter to review, and one before it to
        compare against."""
        if not self.has_data:
            raise ValueError("the store holds no data, so it has no period to default to")
        start_month = self.last_day.month - 2
        year = self.last_day.year + (start_month - 1) // 12
        month = (start_month - 1) % 12 + 1
        return max(dt.date(year, month, 1), self.first_day), self.last_day

    def defaults(self) -> Filters:
        return Filters(*self.default_period())

    def teams_at(self, site: str | None) -> list[str]:
        return sorted(t for t, s in self.teams.items() if site is None or s == site)


def data_span(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date] | None:
    """The period the store's data covers, from the data itself, never from today's date: that of
    its contacts when it has any (every page reads contacts first, and a training plan that runs
    past the last contact should not move the default quarter), else the span of its other
    activity (surveys, requests, training), else of whatever dated rows it holds (agents,
    customers, events). None when it holds none."""
    try:
        held = coverage.read(con)
    except duckdb.CatalogException:   # a store from before store_coverage: its contacts tell the span
        first, last = store.run(con, "select min(queued_at)::date, max(queued_at)::date from interactions").row(0)
        return (first, last) if first is not None else None
    spans = [span for span in (held.period(table) for table in coverage.TABLE_PERIODS) if span]
    return (held.period("interactions") or held.data_period()
            or ((min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None))


def read_choices(con: duckdb.DuckDBPyConnection) -> Choices:
    first, last = data_span(con) or (None, None)
    teams = store.run(con, "select team_name, site from teams order by team_name")
    return Choices(
        first_day=first, last_day=last,
        sites=tuple(store.run(con, "select distinct site from teams order by 1").to_series()),
        teams=dict(teams.iter_rows()),
        channels=tuple(store.run(con, "select distinct channel from interactions order by 1").to_series()),
        touchpoints=tuple(store.run(con, "select touchpoint_name from touchpoints order by 1").to_series()),
    )


def _one(raw: Mapping[str, object], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return None if value in (None, "") else str(value)


def _single(raw: Mapping[str, object], key: str, what: str = "values") -> tuple[str | None, str | None]:
    """A key's one value in a link, or what is wrong when the link gives it differing values (a
    widget would take the first, a reader the last: neither is sure)."""
    given = raw.get(key)
    if isinstance(given, (list, tuple)) and len(distinct := {str(v) for v in given}) > 1:
        return None, f"'{key}' is given {len(distinct)} different {what} in the link"
    return _one(raw, key), None


def reversed_period(date_from: dt.date, date_to: dt.date, from_name: str = "'from'",
                    to_name: str = "'to'") -> str | None:
    """What is wrong with a period that ends before it starts, in the words every caller uses (the
    app, the CLI's --from/--to); None when it is in order."""
    return None if date_from <= date_to else f"{from_name} ({date_from}) is after {to_name} ({date_to})"


def ordered_period(date_from: dt.date, date_to: dt.date, choices: Choices) -> tuple[dt.date, dt.date, str | None]:
    """The one rule for a period that ends before it starts, wherever the dates came from (a link,
    one date of a link against the other's default, the date pickers): the default period is
    shown, with a notice saying why. Returns (from, to, notice or None)."""
    problem = reversed_period(date_from, date_to)
    if problem is None:
        return date_from, date_to, None
    default_from, default_to = choices.default_period()
    return default_from, default_to, f"{problem}; showing the default period, {default_from} to {default_to}."


NOTICE_VALUE_CHARS = 80


def _shortened(text: str) -> str:
    """A URL value as quoted in a notice: a link can carry megabytes, the notice needs a glimpse."""
    return text if len(text) <= NOTICE_VALUE_CHARS else text[:NOTICE_VALUE_CHARS - 1] + "\u2026"


def parse_url(raw: Mapping[str, object], choices: Choices) -> tuple[Filters, list[str], set[str]]:
    """Reads filters from URL query parameters.

    Returns the filters, notices for the reader, and the keys that were rejected (the caller
    removes them from the URL so the link on screen matches what is shown)."""
    defaults = choices.defaults()
    notices: list[str] = []
    rejected: set[str] = set()

    def date_param(key: str, default: dt.date) -> dt.date:
        text, repeated = _single(raw, key, "dates")
        if repeated:
            notices.append(f"{repeated}; using {default:%Y-%m-%d}.")
            rejected.add(key)
            return default
        if text is None:
            return default
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            notices.append(f"'{key}={_shortened(text)}' is not a date like 2025-03-01; using {default:%Y-%m-%d}.")
            rejected.add(key)
            return default

    date_from = date_param("from", defaults.date_from)
    date_to = date_param("to", defaults.date_to)
    date_from, date_to, reversed_notice = ordered_period(date_from, date_to, choices)
    if reversed_notice:
        notices.append(reversed_notice)
        # only keys the link holds: one date alone can fall on the wrong side of the other's default
        rejected.update(key for key in ("from", "to") if key in raw)

    def name_param(key: str, known: tuple[str, ...] | list[str], what: str) -> str | None:
        text = _one(raw, key)
        if text is None or text == ALL:
            return None
        if text not in known and choices.scope:   # outside the scope or unknown: the same words, nothing leaks
            notices.append(f"'{_shortened(text)}' is not a {what} you may see (your scope: {choices.scope}); "
                           f"showing all {what}s within it.")
            rejected.add(key)
            return None
        if text not in known:
            notices.append(f"No {what} is called '{_shortened(text)}'; showing all {what}s.")
            rejected.add(key)
            return None
        return text

    site = name_param("site", choices.sites, "site")
    team = name_param("team", choices.teams_at(None), "team")
    if team and site and choices.teams[team] != site:
        notices.append(f"Team '{team}' is at {choices.teams[team]}, not {site}; showing all teams at {site}.")
        rejected.add("team")
        team = None
    channel = name_param("channel", choices.channels, "channel")
    touchpoint = name_param("touchpoint", choices.touchpoints, "touchpoint")
    if date_to < choices.first_day or date_from > choices.last_day:
        notices.append(f"The store holds data from {choices.first_day} to {choices.last_day}; "
                       "this period has none.")
    return Filters(date_from, date_to, site, team, channel, touchpoint), notices, rejected


def to_url(filters: Filters, choices: Choices) -> dict[str, str]:
    """The query parameters that reproduce these filters; defaults are left out to keep links short."""
    default_from, default_to = choices.default_period()
    out = {}
    if filters.date_from != default_from:
        out["from"] = filters.date_from.isoformat()
    if filters.date_to != default_to:
        out["to"] = filters.date_to.isoformat()
    for key in ("site", "team", "channel", "touchpoint"):
        value = getattr(filters, key)
        if value:
            out[key] = value
    return out


# ---- page controls -------------------------------------------------------------------------------
# A page's own controls travel in the URL beside the filters, each under one key with short values
# a reader can type (`cva_view=within`, `cva_lag=-2`); the words are what the widget shows. A bad
# value is dropped with a notice and the default used, as for the filters.

def lag_words(lag: int) -> str:
    """What a lag of the customer-vs-agent page means, in words; the same for CSAT and NPS."""
    if lag == 0:
        return "Same month"
    months = f"{abs(lag)} month{'s' if abs(lag) > 1 else ''}"
    if lag > 0:
        return f"Agent satisfaction {months} before the customer score"
    return f"Customer score {months} before agent satisfaction"


@dataclass(frozen=True)
class Control:
    """One page control's URL form. Either a choice (`choices`: value -> its words; the URL carries
    str(value)) or a number from `low` to `high` inclusive (`whole`: an integer). default None:
    the page works one out from the data. `param`: the query parameter it sets (catalogue.PAGE_PARAMS)."""
    key: str
    page: str
    label: str
    default: object = None
    choices: dict = field(default_factory=dict, hash=False)
    low: float | None = None
    high: float | None = None
    whole: bool = False
    param: str | None = None
    # a setting read at run time that the value may not go below (the respondent threshold: a
    # control cannot ask for groups the confidentiality rule hides anyway)
    floor: Callable[[], float] | None = None

    def least(self) -> float | None:
        return self.low if self.floor is None else max(self.low, self.floor())

    def initial(self):
        """The value when the link gives none (at least the floor)."""
        return self.default if self.floor is None or self.default is None else max(self.default, self.least())

    def accepted(self, high: float | None = None) -> str:
        """The values a link may carry, in words (for notices and the README)."""
        if self.choices:
            return "one of " + ", ".join(str(value) for value in self.choices)
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} from {self.least():g} to {self.high if high is None else high:g}"

    def read(self, text: str, high: float | None = None):
        """The value a URL text stands for; ValueError when it stands for none. high: a narrower
        upper bound the page knows only at run time (the agents one may lose)."""
        if self.choices:
            for value in self.choices:
                if str(value) == text:
                    return value
            raise ValueError(text)
        number = float(text)    # ValueError for words; nan and inf fail the range
        if not self.least() <= number <= (self.high if high is None else high) or self.whole and not number.is_integer():
            raise ValueError(text)
        return int(number) if self.whole else number

    def url_value(self, value) -> str:
        return str(value) if self.choices or self.whole else f"{value:g}"

    def words(self, value) -> str:
        return self.choices.get(value, str(value)) if self.choices else str(value)


CONTROLS = (
    Control("cva_measure", "customer-vs-agent", "Customer score", "CSAT", {"CSAT": "CSAT", "NPS": "NPS"}),
    Control("cva_view", "customer-vs-agent", "Points", "pooled", {"pooled": "Pooled", "within": "Within team"}),
    Control("cva_lag", "customer-vs-agent", "Timing", 0, {lag: lag_words(lag) for lag in range(-3, 4)}),
    # 8 by default: agent satisfaction runs near 78 %, so a team-month of n answers reads 100 % with
    # chance 0.78^n (29 % at 5 answers, 14 % at 8) and its share has a standard error of ~15 points at 8;
    # fewer answers fill the scatter with 0 % and 100 % points that say nothing about the team. More
    # than 8 would leave only a handful of team-months a quarter (teams of ~10 agents answer in pulse
    # months). Never below the respondent threshold (floor).
    Control("cva_min_answers", "customer-vs-agent", "Least agent answers", 8, low=1,
            high=30, whole=True, floor=config.min_respondents),
    Control("cva_outcome", "customer-vs-agent", "Customers' outcome", "csat",
            {"csat": "CSAT", "nps": "NPS", "fcr": "FCR", "escalation": "Escalation rate", "aht": "AHT"}),
    Control("measure", "wait-times", "Measure", "service_level",
            {"service_level": "Service level", "asa": "ASA", "abandon_rate": "Abandon rate"}),
    Control("interval", "wait-times", "Interval (minutes)", 30, {15: "15", 30: "30", 60: "60"}),
    Control("calls", "wait-times", "Contacts per interval", None, low=0.1, high=100_000),
    Control("aht", "wait-times", "AHT (s)", None, low=1, high=36_000, whole=True),
    Control("sl_target", "wait-times", "Target: % answered", 80, low=1, high=99, whole=True),
    Control("sl_within", "wait-times", "... within (s)", 20, low=1, high=3_600, whole=True),
    Control("lost", "wait-times", "Agents lost to attrition", 0, low=0, high=5, whole=True),
    Control("patience", "wait-times", "Mean patience (s)", None, low=1, high=36_000, whole=True),
    Control("grant", "escalations", "Agents may grant up to (money)", catalogue.page_param_defaults()["grant_limit"],
            low=0, high=100_000, param="grant_limit"),
    Control("rank", "teams", "Rank", "team", {"team": "Teams", "agent": "Agents"}),
)
CONTROL = {control.key: control for control in CONTROLS}
CONTROL_OF_PARAM = {control.param: control for control in CONTROLS if control.param}


def controls_of(page: str) -> tuple[Control, ...]:
    return tuple(control for control in CONTROLS if control.page == page)




def parse_control(raw: Mapping[str, object], control: Control, high: float | None = None) -> tuple[object, str | None]:
    """A control's value from URL query parameters: (value, notice or None). A missing value is
    the default, quietly; a bad one is the default with a notice naming the key and what it accepts."""
    text, repeated = _single(raw, control.key)
    initial = control.initial()
    default = "the value from the data" if initial is None else control.url_value(initial)
    if repeated:
        return initial, f"{repeated}; using {default}."
    if text is None:
        return initial, None
    try:
        return control.read(text, high), None
    except ValueError:
        return initial, (f"'{control.key}={_shortened(text)}' is not {control.accepted(high)}; "
                                 f"using {default}.")


def parse_controls(raw: Mapping[str, object], page: str) -> tuple[dict, list[str], set[str]]:
    """A page's controls from URL query parameters: (key -> value, notices, rejected keys)."""
    values, notices, rejected = {}, [], set()
    for control in controls_of(page):
        values[control.key], notice = parse_control(raw, control)
        if notice:
            notices.append(notice)
            rejected.add(control.key)
    return values, notices, rejected


def parse_link(raw: Mapping[str, object], choices: Choices, page: str | None = None
               ) -> tuple[Filters, dict, list[str], set[str]]:
    """A whole link: the filters and the page's controls, with every notice and rejected key."""
    chosen, notices, rejected = parse_url(raw, choices)
    controls, control_notices, control_rejected = parse_controls(raw, page) if page else ({}, [], set())
    return chosen, controls, notices + control_notices, rejected | control_rejected


def bound_values(chosen: Filters, controls: Mapping[str, object] | None = None) -> dict:
    """The values a page's queries may bind: the filters, every page parameter at its default
    (catalogue.PAGE_PARAMS), and those the page's controls set. The one place they are assembled."""
    values = {**chosen.as_params(), **catalogue.page_param_defaults()}
    for key, value in (controls or {}).items():
        if CONTROL[key].param and value is not None:
            values[CONTROL[key].param] = value
    return values
