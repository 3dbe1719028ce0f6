"""The Streamlit side shared by app.py and the pages: the cached store connection, the sidebar
filters bound to the URL, and the generic renderer that turns a page's query files into tiles,
charts and tables. Logic it relies on lives in plain modules (filters, catalogue, kpis, figures)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from dashboard import catalogue, config, coverage, filters, nodata, safe_text, scopes, signin, store

FILTERS_KEY = "_filters"
DRILL_KEY = "_drill_team"   # a team picked by clicking a chart, applied before the filters are drawn
PERIOD_RESET_KEY = "_period_reset"   # date pickers to set back to their defaults, and the notices saying why


@st.cache_resource(show_spinner=False, max_entries=2)
def _connection(version: tuple) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published store file (version[0] is the real file, not the
    link). After an import swaps in a new file, the next rerun opens it; sessions still reading the
    old file finish on it, and the old connection is dropped from the cache with the next swap."""
    return store.open_read_only(version[0])


def connection(version: tuple) -> duckdb.DuckDBPyConnection:
    """The store's cached read-only connection for a version (store.version)."""
    return _connection(version)


@st.cache_data(show_spinner=False, max_entries=4)
def _schema_problems(version: tuple) -> list[str]:
    return store.schema_problems(_connection(version))


def schema_problems() -> list[str]:
    return _schema_problems(store.version(config.store_path()))


@st.cache_data(show_spinner=False, max_entries=500)
def _run(version: tuple, sql: str, params: tuple) -> pl.DataFrame:
    query = catalogue.Query(name="", path=config.queries_dir(), title="", description="", sql=sql,
                            params=tuple(k for k, _ in params))
    return catalogue.execute(_connection(version), query, dict(params))


def run(query: catalogue.Query, values: dict) -> pl.DataFrame:
    """Results are cached by store file, SQL text and bound values: an edited query or a swapped
    store is never served stale. Columns and series whose inputs the store lacks come back blank
    (nodata.blank), for every page and view alike."""
    return nodata.blank(query, _cached_rows(store.version(session_store()), query, values), store_coverage())


def _cached_rows(version: tuple, query: catalogue.Query, values: dict) -> pl.DataFrame:
    try:
        return _run(version, query.sql, tuple(query.bind(values).items()))
    except catalogue.QueryFileError as err:  # located at the query's own file; a stop stays a stop
        raise type(err)(query.path, err.line, err.message) from None


def prefetch(planned: list[tuple[catalogue.Query, dict]]) -> dict:
    """Runs a page's planned queries together into run's cache (catalogue.run_together). The store
    version is read here, in the script's thread: the workers cannot read who is signed in. Each
    worker carries the script's context, which Streamlit's cache expects of the thread calling it."""
    version, context = store.version(session_store()), get_script_run_ctx()

    def warm(query: catalogue.Query, values: dict) -> None:
        add_script_run_ctx(threading.current_thread(), context)
        _cached_rows(version, query, values)
    return catalogue.run_together(planned, warm, config.query_workers())


@st.cache_data(show_spinner=False, max_entries=4)
def _coverage(version: tuple) -> coverage.Coverage:
    return coverage.read(_connection(version))


def store_coverage() -> coverage.Coverage:
    """What the store's imports supplied (dashboard.coverage), read once per store version."""
    return _coverage(store.version(session_store()))


@st.cache_data(show_spinner=False, max_entries=4)
def _choices(version: tuple) -> filters.Choices:
    return filters.read_choices(_connection(version))


def choices() -> filters.Choices:
    scope = signin.current_person().scope
    held = _choices(store.version(session_store()))
    return held if scope.is_everything else dataclasses.replace(held, scope=scope.describe())


def session_store() -> Path:
    """The store this session reads: the published store, or for a person with a narrower scope a
    derived store holding only their scope's rows (scopes.store_for). Every page query, tile,
    download and snapshot of the session reads it, so no page can show rows outside the scope."""
    return scopes.store_for(config.store_path(), signin.current_person().scope, "pages")


def caption(text: str, values=(), where=st) -> None:
    """A caption that names data or URL values (teams, sites, touchpoints): shown as plain text,
    long values shortened, the whole text on hover (dashboard.safe_text)."""
    shown = safe_text.shorten_within(text, values)
    where.caption(safe_text.markdown(shown), help=safe_text.markdown(text) if shown != text else None)


def notice(show, text: str, values=(), **kwargs) -> None:
    """A notice (st.warning, st.info, st.error) whose text may hold data, URL values or database
    messages: shown as plain text, long values shortened."""
    show(safe_text.markdown(safe_text.shorten_within(text, values)), **kwargs)


def scope_values(chosen: filters.Filters) -> tuple:
    return chosen.site, chosen.team, chosen.channel, chosen.touchpoint


def sidebar_filters() -> filters.Filters:
    """Draws the global filters; their state lives in the URL (?from=&to=&site=&team=...).

    Bad URL values are found first, reported, and removed, so the bound widgets start from
    their defaults instead of silently dropping them."""
    known = choices()
    if not known.has_data:  # no period to offer: any date shown would be made up
        st.info(f"The store at {safe_text.markdown(config.store_path())} holds no data yet: no contacts, surveys, "
                "requests, training, agents or customers with a date. Import an export with "
                "`python -m dashboard import` and a mapping file (see the README's Import your data), or build "
                "the demo with `python -m dashboard demo`.",
                icon=":material/database:")
        st.stop()
    _apply_drill(known)
    raw = {key: st.query_params.get_all(key) for key in filters.URL_KEYS if key in st.query_params}
    _, notices, rejected = filters.parse_url(raw, known)
    for key in rejected:
        st.query_params.pop(key, None)
    notices = _apply_period_reset(known) + notices
    default_from, default_to = known.default_period()
    side = st.sidebar
    side.markdown("### Filters")
    date_from = side.date_input("From", value=default_from, key="from", bind="query-params", format="YYYY-MM-DD")
    date_to = side.date_input("To", value=default_to, key="to", bind="query-params", format="YYYY-MM-DD")
    site = side.selectbox("Site", [filters.ALL, *known.sites], key="site", bind="query-params")
    site = None if site == filters.ALL else site
    team = side.selectbox("Team", [filters.ALL, *known.teams_at(site)], key="team", bind="query-params")
    channel = side.selectbox("Channel", [filters.ALL, *known.channels], key="channel", bind="query-params")
    touchpoint = side.selectbox("Touchpoint", [filters.ALL, *known.touchpoints], key="touchpoint",
                                bind="query-params")
    date_from, date_to, reversed_notice = filters.ordered_period(
        date_from if isinstance(date_from, dt.date) else default_from,
        date_to if isinstance(date_to, dt.date) else default_to, known)
    # the pickers must show the period the page uses: a rejected date a picker still took from the
    # link (a repeated key, a reversed period) is set back to its default on a rerun
    shown = {"from": (date_from, default_from), "to": (date_to, default_to)}
    stale = {key for key in rejected & shown.keys() if shown[key][0] != shown[key][1]}
    if reversed_notice or stale:
        st.session_state[PERIOD_RESET_KEY] = (set(shown) if reversed_notice else stale,
                                              [*notices, *({reversed_notice} - {*notices, None})])
        st.rerun()
    chosen = filters.Filters(
        date_from=date_from, date_to=date_to, site=site,
        team=None if team == filters.ALL else team,
        channel=None if channel == filters.ALL else channel,
        touchpoint=None if touchpoint == filters.ALL else touchpoint,
    )
    side.caption(f"Data from {known.first_day} to {known.last_day}. The address bar holds these "
                 "filters: copy it to share this exact view.")
    url_values = [v for values in raw.values() for v in (values if isinstance(values, list) else [values])]
    for text in notices:
        notice(st.warning, text, url_values, icon=":material/link_off:")
    st.session_state[FILTERS_KEY] = chosen
    return chosen


def _apply_period_reset(known: filters.Choices) -> list[str]:
    """The last run drew a period that ends before it starts (from a link, or one date of a link
    against the other's default, or the pickers), for which filters.ordered_period shows the
    default period, or a picker took a date the link's rules reject: those pickers are set to
    their defaults before they are drawn. A bound picker takes its first value from the link
    whatever the code says, hence the rerun. Returns that run's notices."""
    if PERIOD_RESET_KEY not in st.session_state:
        return []
    keys, notices = st.session_state.pop(PERIOD_RESET_KEY)
    for key, default in zip(("from", "to"), known.default_period()):
        if key in keys:
            st.session_state[key] = default
    return notices


def _apply_drill(known: filters.Choices) -> None:
    """A chart click asked to narrow (or widen) the team filter: set the bound widgets before they
    are drawn; they write the URL themselves (Streamlit refuses a direct write to a bound key)."""
    if DRILL_KEY not in st.session_state:
        return
    team = st.session_state.pop(DRILL_KEY)
    st.session_state["team"] = team
    if team != filters.ALL and st.session_state.get("site", filters.ALL) not in (filters.ALL, known.teams[team]):
        st.session_state["site"] = known.teams[team]


def drill_to(team: str) -> None:
    st.session_state[DRILL_KEY] = team
    st.rerun()


def control(key: str, widget, high: float | None = None, **kwargs):
    """Draws the page control declared under `key` in filters.CONTROLS with `widget` (st.radio,
    a column's selectbox, st.number_input...) and returns its value: the one way a view reads a
    control. The link's value is read by filters.parse_control when the widget first appears (a bad
    one: the default, with a notice); the value shown is written back to the URL in its short form,
    and left out at its default. The widget is not bound to the URL: a bound choice would put its
    words there (Streamlit writes the formatted option), not the short value. high: a narrower
    upper bound known only now (the agents one can lose)."""
    spec = filters.CONTROL[key]
    if key not in st.session_state:
        link = {key: st.query_params.get_all(key)}
        st.session_state[key], problem = filters.parse_control(link, spec, high)
        if problem:
            notice(st.warning, problem, link[key], icon=":material/link_off:")
    elif high is not None and st.session_state[key] is not None and st.session_state[key] > high:
        st.session_state[key] = spec.initial()   # the bound shrank under the value (fewer agents needed)
    if spec.choices:
        kwargs.update(options=list(spec.choices), format_func=spec.words)
    else:
        number = int if spec.whole else float
        kwargs.update(min_value=number(spec.least()), max_value=number(spec.high if high is None else high))
    value = widget(spec.label, key=key, **kwargs)
    shown = None if value is None or value == spec.initial() else spec.url_value(value)
    if st.query_params.get(key) != shown:
        if shown is None:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = shown
    return value


def current_filters() -> filters.Filters:
    return st.session_state[FILTERS_KEY]


def query_catalogue() -> catalogue.Catalogue:
    # read on every run: a new or edited file in queries/ shows on the next rerun, no restart
    return catalogue.load(config.queries_dir())







