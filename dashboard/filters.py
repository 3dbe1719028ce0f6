"""Global filters and their URL form.

The URL is the contract with executives: `?from=2025-03-01&to=2025-05-31&team=Aurora` must show
that view to anyone who opens it. Names, not ids, travel in the URL so a link reads plainly.
A parameter that is malformed or names nothing in the store falls back to its default, and the
reason is returned as a notice for the page to show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace

import duckdb

from dashboard import coverage, store

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


def ordered_period(date_from: dt.date, date_to: dt.date, choices: Choices) -> tuple[dt.date, dt.date, str | None]:
    """The one rule for a period that ends before it starts, wherever the dates came from (a link,
    one date of a link against the other's default, the date pickers): the default period is
    shown, with a notice saying why. Returns (from, to, notice or None)."""
    if date_from <= date_to:
        return date_from, date_to, None
    default_from, default_to = choices.default_period()
    return default_from, default_to, (f"'from' ({date_from}) is after 'to' ({date_to}); showing the "
                                      f"default period, {default_from} to {default_to}.")


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
        given = {str(v) for v in raw.get(key) or ()} if isinstance(raw.get(key), (list, tuple)) else set()
        if len(given) > 1:   # the date pickers would take the first, a reader the last: neither is sure
            notices.append(f"'{key}' is given {len(given)} different dates in the link; using {default:%Y-%m-%d}.")
            rejected.add(key)
            return default
        text = _one(raw, key)
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
