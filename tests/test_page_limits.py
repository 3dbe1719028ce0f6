"""Issue 10, item 2: a page query that never ends is stopped at the page's time limit, shown in
place while the rest of the page renders, and leaves no core busy; the catalogue refuses query
files whose header would stall it or fill the server's memory (size limits, YAML aliases)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, config

LIMIT_S = 1
# one new row per step, for ever: DuckDB keeps a core busy until the query is interrupted
ENDLESS_SQL = "with recursive steps(n) as (select 1 union all select n + 1 from steps) select count(*) as n from steps"
ENDLESS_FILE = f"""\
-- title: Endless
-- description: A recursive CTE that never ends.
-- page: wait-times
-- chart: table
{ENDLESS_SQL}
"""
GOOD_HEADER = "-- title: Fine\n-- description: d\n-- chart: table\n"


def cpu_seconds_over(seconds: float) -> float:
    """This process's CPU time (all threads, DuckDB's included) while it waits `seconds`."""
    start = time.process_time()
    time.sleep(seconds)
    return time.process_time() - start


def endless_query() -> catalogue.Query:
    return catalogue.Query(name="endless", path=Path("endless.sql"), title="Endless", description="", sql=ENDLESS_SQL)


def test_an_endless_query_is_stopped_at_the_limit_and_leaves_the_cpu_idle(con):
    started = time.perf_counter()
    with pytest.raises(catalogue.QueryStopped) as stopped:
        catalogue.execute(con, endless_query(), {}, timeout_s=LIMIT_S)
    assert time.perf_counter() - started < LIMIT_S + 2
    assert f"{stopped.value.location}: {stopped.value.message}".startswith(f"endless.sql: stopped after {LIMIT_S} s")
    assert not [t for t in threading.enumerate() if t.name == "duckdb-time-limit"]
    assert cpu_seconds_over(2) < 0.3   # a query still running would burn about 2 s of a core here
    assert con.cursor().sql("select 42").fetchall() == [(42,)]   # the shared connection still answers


def test_the_time_limit_comes_from_the_environment_and_a_bad_value_falls_back(monkeypatch):
    monkeypatch.setenv("DASHBOARD_PAGE_QUERY_TIMEOUT_S", "2.5")
    assert config.page_query_timeout_s() == 2.5
    for bad in ("", "soon", "0", "-1", "inf", "nan"):
        monkeypatch.setenv("DASHBOARD_PAGE_QUERY_TIMEOUT_S", bad)
        assert config.page_query_timeout_s() == config.DEFAULT_PAGE_QUERY_TIMEOUT_S


def test_execute_uses_the_configured_limit(con, monkeypatch):
    monkeypatch.setenv("DASHBOARD_PAGE_QUERY_TIMEOUT_S", str(LIMIT_S))
    with pytest.raises(catalogue.QueryStopped, match=f"stopped after {LIMIT_S} s"):
        catalogue.execute(con, endless_query(), {})


def page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    at.query_params["from"], at.query_params["to"] = "2025-01-01", "2025-12-31"
    at.run()
    return at.switch_page(name).run()


def test_a_page_with_an_endless_query_shows_the_stop_in_place_and_renders_the_rest(queries_folder, monkeypatch):
    monkeypatch.setenv("DASHBOARD_PAGE_QUERY_TIMEOUT_S", str(LIMIT_S))
    at = page("views/wait_times.py")   # the page's other queries are now cached: the rerun is the endless one
    assert not at.exception and not at.error
    titles, charts = [s.value for s in at.subheader], len(at.get("plotly_chart"))
    (queries_folder / "endless.sql").write_text(ENDLESS_FILE)
    started = time.perf_counter()
    at.run()
    assert time.perf_counter() - started < LIMIT_S + 2
    assert not at.exception
    assert [e.value for e in at.error if e.value.startswith("endless.sql: ")] == [
        f"endless.sql: {catalogue._stopped_message(LIMIT_S)}"]
    assert [s.value for s in at.subheader] == titles and len(at.get("plotly_chart")) == charts
    assert cpu_seconds_over(2) < 0.3   # the viewer is gone: nothing keeps a core busy


def alias_bomb() -> str:
    """A title of nine levels of nine aliases each: 9**9 (387 million) items once the title is
    turned into text, from one line of 400 characters."""
    levels = ["&a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return f"-- title: [{', '.join(levels)}]\n-- description: d\n-- chart: table\nselect 1 as x\n"


HOSTILE = {
    "alias_bomb.sql": (alias_bomb(), "alias_bomb.sql:1: header is not valid YAML: aliases (*name) are not allowed"),
    "wide_header.sql": ("-- title: " + "x" * 5_000_000 + "\n-- description: d\n-- chart: table\nselect 1 as x\n",
                        "wide_header.sql:1: the file is larger than 256 KB"),
    "long_line.sql": (GOOD_HEADER + "-- tags: [" + "t" * 10_000 + "]\nselect 1 as x\n",
                      "long_line.sql:4: header line of 10,011 characters; a header line may hold at most 2,000"),
    "long_header.sql": (GOOD_HEADER + "".join(f"-- x{i}: 1\n" for i in range(100)) + "select 1 as x\n",
                        "long_header.sql:61: the header is longer than 60 lines"),
    "deep.sql": (GOOD_HEADER + "-- labels: " + "[" * 1_000 + "\nselect 1 as x\n",
                 "deep.sql:4: header is not valid YAML: values nest deeper than 10 levels"),
}


def test_hostile_headers_are_refused_by_file_and_line(tmp_path):
    for name, (text, _) in HOSTILE.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "fine.sql").write_text(GOOD_HEADER + "select 1 as x\n")
    cat = catalogue.load(tmp_path)
    assert [q.name for q in cat.queries] == ["fine"]
    found = sorted(f"{e.location}: {e.message}" for e in cat.errors_without_page())
    expected = sorted(message for _, message in HOSTILE.values())
    assert len(found) == len(expected)
    for shown, wanted in zip(found, expected):
        assert shown.startswith(wanted), (shown, wanted)


def test_the_query_catalogue_page_renders_with_an_alias_bomb_and_a_5_mb_header_line(queries_folder):
    before = page("views/queries.py")
    assert not before.exception
    charts = len(before.get("plotly_chart"))
    for name in ("alias_bomb.sql", "wide_header.sql"):
        (queries_folder / name).write_text(HOSTILE[name][0])
    at = page("views/queries.py")
    assert not at.exception
    errors = [e.value for e in at.error]
    for name in ("alias_bomb.sql", "wide_header.sql"):
        # the page shows messages as plain text: markdown specials arrive backslash-escaped
        assert any(e.replace("\\", "").startswith(HOSTILE[name][1]) for e in errors), errors
    assert len(at.get("plotly_chart")) == charts
