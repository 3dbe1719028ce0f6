"""A page's queries run together before its sections draw (layout.planned, catalogue.run_together,
PageData.prefetch): every query a section reads with the filters and settings alone is planned, nothing planned
goes unread, several run at once, and a query that fails or stops while planned runs only once."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import polars as pl
import pytest
from conftest import MARCH_TO_MAY
from test_sections import RecordingCanvas

from dashboard import catalogue, config, coverage, filters, layout, nodata, store
from dashboard.canvas import PageData, SectionProblem

YEAR_2025 = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
ONE_MONTH = (dt.date(2025, 4, 1), dt.date(2025, 4, 30))


class PageCanvas(RecordingCanvas):
    def group(self, text: str) -> None:   # the catalogue's tag headings
        self._record("group", text=text)


class Recorder:
    """A page's runner and prefetcher that run each query directly and note the run_key of every
    query a section read, and of every query planned."""

    def __init__(self, con):
        self.con, self.known = con, coverage.read(con)
        self.catalogue = catalogue.load(config.queries_dir())   # the query files the page draws from
        self.read: set[tuple] = set()
        self.planned: set[tuple] = set()
        self.names: dict[tuple, str] = {}

    def run(self, query: catalogue.Query, values: dict) -> pl.DataFrame:
        key = catalogue.run_key(query, values)
        self.read.add(key)
        self.names[key] = query.name
        return nodata.blank(query, catalogue.execute(self.con, query, values), self.known)

    def prefetch(self, planned: list[tuple[catalogue.Query, dict]]) -> dict:
        for query, values in planned:
            self.planned.add(catalogue.run_key(query, values))
            self.names[catalogue.run_key(query, values)] = query.name
        return {}


def draw_page(con, page: str, period, **scope) -> Recorder:
    recorder = Recorder(con)
    data = PageData(page=page, chosen=filters.Filters(*period, **scope), choices=filters.read_choices(con),
                    coverage=recorder.known, catalogue=recorder.catalogue,
                    runner=recorder.run, prefetcher=recorder.prefetch)
    layout.draw(PageCanvas(data))
    return recorder


def known_before_drawing(recorder: Recorder, key: tuple) -> bool:
    """Whether the query behind `key` binds nothing but the filters and settings (a query file, not
    the events): nothing a page control sets."""
    try:
        query = recorder.catalogue.get(recorder.names[key])
    except KeyError:
        return False
    return set(query.params) <= set(filters.Filters(*YEAR_2025).as_params()) | {"min_respondents"}


SCOPES = [
    ("the year", YEAR_2025, {}),
    ("March to May", MARCH_TO_MAY, {}),
    ("one month, one team", ONE_MONTH, {"team": "Aurora"}),
    ("a site and a channel", MARCH_TO_MAY, {"site": "Lisbon", "channel": "chat"}),
]


@pytest.mark.parametrize("page", layout.drawable_paths())
@pytest.mark.parametrize("label,period,scope", SCOPES, ids=[s[0] for s in SCOPES])
def test_the_plan_is_what_the_sections_read(con, page, label, period, scope):
    if scope.get("team") and scope["team"] not in filters.read_choices(con).teams:
        pytest.fail(f"the test store has no team {scope['team']}: {filters.read_choices(con).teams}")
    recorder = draw_page(con, page, period, **scope)
    unread = {recorder.names[k] for k in recorder.planned - recorder.read}
    assert not unread, f"{page}: planned but never read by a section: {sorted(unread)}"
    unplanned = {recorder.names[k] for k in recorder.read - recorder.planned if known_before_drawing(recorder, k)}
    assert not unplanned, f"{page}: read with the filters and settings alone but not planned: {sorted(unplanned)}"
    assert recorder.planned or page == "queries" and not recorder.read


@pytest.mark.parametrize("page", layout.drawable_paths())
def test_a_store_lacking_inputs_plans_only_what_its_sections_read(sparse_store_path, page):
    """Queries whose inputs the store lacks are not run by their sections (they say why there is no
    data), so the plan leaves them out too."""
    con = store.open_read_only(sparse_store_path)
    try:
        recorder = draw_page(con, page, YEAR_2025)
    finally:
        con.close()
    unread = {recorder.names[k] for k in recorder.planned - recorder.read}
    assert not unread, f"{page}: planned but never read by a section: {sorted(unread)}"


def test_planned_queries_run_several_at_a_time():
    """Three workers: each of three queries waits for the other two to start, which only happens if
    they run at once (the barrier breaks after 5 s otherwise)."""
    barrier = threading.Barrier(3, timeout=5)
    query = catalogue.Query(name="q", path=config.queries_dir(), title="", description="", sql="select 1",
                            params=("team",))

    def run(query, values):
        barrier.wait()

    failed = catalogue.run_together([(query, {"team": t}) for t in ("A", "B", "C")], run, workers=3)
    assert failed == {}
    assert not barrier.broken


def test_a_query_that_stops_while_planned_is_not_run_again(con):
    """The section reading it is told it stopped, at once: a stopped query costs its time limit once."""
    slow = catalogue.Query(name="slow", path=config.queries_dir() / "slow.sql", title="", description="",
                           sql="select count(*) from range(100000000000)", params=())
    calls = []

    def run(query, values):
        calls.append(query.name)
        return catalogue.execute(con, query, values, timeout_s=0.2)

    data = PageData(page="overview", chosen=filters.Filters(*YEAR_2025), choices=filters.read_choices(con),
                    coverage=coverage.read(con), catalogue=catalogue.load(config.queries_dir()), runner=run,
                    prefetcher=lambda planned: catalogue.run_together(planned, run, workers=2))
    data.prefetch([(slow, data.bound())])
    with pytest.raises(SectionProblem, match="stopped after 0.2 s"):
        data.run(slow, data.bound())
    assert calls == ["slow"]


def test_a_failing_query_is_reported_where_it_is_read(con):
    broken = catalogue.Query(name="broken", path=config.queries_dir() / "broken.sql", title="", description="",
                             sql="select no_such_column from teams", params=())
    calls = []

    def run(query, values):
        calls.append(query.name)
        return catalogue.execute(con, query, values)

    failed = catalogue.run_together([(broken, {})], run, workers=2)
    assert list(failed) == [catalogue.run_key(broken, {})]
    assert "no_such_column" in failed[catalogue.run_key(broken, {})].message
    assert calls == ["broken"]


@pytest.mark.parametrize("text,expected", [
    ("", config.DEFAULT_QUERY_WORKERS),
    ("1", 1),
    ("4", 4),
    ("999", config.MAX_QUERY_WORKERS),
    ("0", config.DEFAULT_QUERY_WORKERS),
    ("-2", config.DEFAULT_QUERY_WORKERS),
    ("three", config.DEFAULT_QUERY_WORKERS),
    ("nan", config.DEFAULT_QUERY_WORKERS),
    ("inf", config.DEFAULT_QUERY_WORKERS),
])
def test_query_workers_setting(monkeypatch, text, expected):
    monkeypatch.setenv("DASHBOARD_QUERY_WORKERS", text)
    assert config.query_workers() == expected


def test_the_slowest_queries_start_first():
    """One worker, so the order is seen: the first time in plan order (none has run yet), then the
    slowest first by how long each took, so a long query does not start last and hold the page up."""
    tag = uuid.uuid4().hex   # SQL texts no other test has run
    pauses = {"quick": 0.0, "slow": 0.06, "middling": 0.03}
    queries = {name: catalogue.Query(name=name, path=config.queries_dir(), title="", description="",
                                     sql=f"select '{name}' -- {tag}", params=()) for name in pauses}
    started = []

    def run(query, values):
        started.append(query.name)
        time.sleep(pauses[query.name])

    catalogue.run_together([(queries[n], {}) for n in ("quick", "slow", "middling")], run, workers=1)
    assert started == ["quick", "slow", "middling"]
    started.clear()
    catalogue.run_together([(queries[n], {}) for n in ("quick", "middling", "slow")], run, workers=1)
    assert started == ["slow", "middling", "quick"]
