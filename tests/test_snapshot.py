"""Snapshots (dashboard/snapshot.py): a page for a link as one self-contained HTML file, drawn by the
same sections as the live page. Compared with the live page (AppTest) for the same link; opened in
Chromium with every network request blocked (browser tests)."""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from streamlit.testing.v1 import AppTest
from test_safe_text import SESSION_EXPIRED, hostile_store

from dashboard import layout, pages, snapshot, store

ROOT = Path(__file__).resolve().parent.parent
TILE = re.compile(r'<div class="label">(.*?)</div><div class="value">(.*?)</div>')


@pytest.fixture(scope="module")
def team(store_path) -> str:
    con = store.open_read_only(store_path)
    try:
        return con.execute("select min(team_name) from teams").fetchone()[0]
    finally:
        con.close()


def tiles_of(document: str) -> dict[str, str]:
    return {html.unescape(label): html.unescape(value) for label, value in TILE.findall(document)}


def live_page(path: str, link: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    for key, value in link.items():
        at.query_params[key] = value
    at.run()
    return at if path == pages.DEFAULT.path else at.switch_page(str(pages.get(path).view_path)).run()


@pytest.mark.parametrize("path", layout.drawable_paths())
def test_every_page_snapshots_into_one_file_that_needs_no_network(app_env, path):
    document = snapshot.render(path, "", app_env)
    assert document.startswith("<!doctype html>") and f"<h1>{html.escape(pages.get(path).page_title)}</h1>" in document
    assert document.count("<script") == 1 + document.count('class="chart"')   # plotly.js once, one per chart
    markup = re.sub(r"<script>.*?</script>", "", document, flags=re.S)
    assert not re.search(r'<(?:link|img|iframe)\b|\bsrc="', markup)          # nothing loaded from elsewhere
    assert "default-src 'none'" in document                                  # and the browser may load nothing
    assert "Taken " in document and "The data runs from" in document


def test_a_snapshot_has_the_live_pages_tiles_and_charts_for_the_same_link(app_env, team):
    link = {"team": team, "from": "2025-04-01", "to": "2025-06-30"}
    document = snapshot.render("overview", urlencode(link), app_env)
    at = live_page("overview", link)
    assert not at.exception
    live = {metric.label: metric.value for metric in at.metric}
    assert len(live) >= 10 and tiles_of(document) == live
    assert document.count('class="chart"') == len(at.get("plotly_chart"))
    assert f"· {html.escape(team)}" in document


@pytest.mark.parametrize("path", ["customer-vs-agent", "escalations", "attrition", "management", "teams", "queries"])
def test_each_page_snapshot_draws_as_many_charts_as_the_live_page(app_env, path):
    document = snapshot.render(path, "", app_env)
    at = live_page(path, {})
    assert not at.exception
    assert document.count('class="chart"') == len(at.get("plotly_chart"))
    assert tiles_of(document) == {m.label: m.value for m in at.metric}


def test_layout_declares_every_page_but_the_lab():
    assert set(pages.paths()) - set(layout.drawable_paths()) == {"sql-lab"}
    for path in layout.drawable_paths():
        assert layout.sections(path), path


def test_link_values_and_imported_names_are_escaped(tmp_path):
    db = hostile_store(tmp_path)
    document = snapshot.render("overview", urlencode({"team": "<script>alert(1)</script>", "site": SESSION_EXPIRED}),
                               db)
    assert "<script>alert(1)" not in document and "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert "[Sign in again](https://evil.example/login)" in html.unescape(document)   # shown as text
    assert '<a href="https://evil.example' not in document and "<img" not in document
    teams = snapshot.render("teams", "", db)
    assert 'href="https://evil.example"' not in teams and "&lt;img src=" in teams


def test_the_snapshot_command_writes_the_file_and_refuses_an_unknown_page(store_path, tmp_path):
    out = tmp_path / "overview.html"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dashboard", "snapshot", *args, "--db", str(store_path)],
                              capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)

    done = cli("--page", "overview", "--params", "from=2025-03-01&to=2025-03-31", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "01 Mar 2025 to 31 Mar 2025" in out.read_text()
    wrong = cli("--page", "overveiw", "--out", str(out))
    assert wrong.returncode == 2 and "'overveiw' is not a page a snapshot can draw; choose one of: overview" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_a_bad_link_value_is_a_notice_in_the_snapshot_too(app_env):
    document = snapshot.render("customer-vs-agent", "cva_view=sideways&team=Nobody", app_env)
    assert "cva_view=sideways" in document and "No team is called" in html.unescape(document)
    assert document.count("cva_view=sideways") == 1   # said once, not again where the control is stated


# -- in a real browser, with the network cut off ---------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("path, link", [
    ("overview", {}), ("customer-vs-agent", {"cva_view": "within"}), ("escalations", {"grant": "500"}),
    ("wait-times", {"calls": "40", "aht": "300"}),
])
def test_snapshots_open_offline_in_chromium_with_every_chart_drawn(store_path, tmp_path, path, link):
    from playwright.sync_api import sync_playwright

    file = tmp_path / f"{path}.html"
    file.write_text(snapshot.render(path, urlencode(link), store_path), encoding="utf-8")
    charts = file.read_text().count('class="chart"')
    assert charts >= 1
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True)
        context = chromium.new_context(viewport={"width": 1280, "height": 1000})
        asked, errors = [], []

        def block(route):
            asked.append(route.request.url)
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", block)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(file.as_uri())
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}",
                               timeout=30_000)
        drawn = page.locator(".js-plotly-plot").count()
        chromium.close()
    assert drawn == charts and not errors
    assert [url for url in asked if not url.startswith("file:")] == []


def test_download_names_carry_the_period_and_the_filters():
    from dashboard import filters, present

    chosen = filters.Filters(dt.date(2025, 3, 1), dt.date(2025, 5, 31), team="Cedar / North", channel="Chat")
    assert present.export_file_name("attrition_by_team", chosen) == (
        "attrition_by_team_2025-03-01_2025-05-31_team-Cedar-North_channel-Chat.csv")
    assert present.export_file_name("overview", filters.Filters(dt.date(2025, 1, 1), dt.date(2025, 1, 31)),
                                    "html") == "overview_2025-01-01_2025-01-31.html"


def test_a_snapshot_of_a_store_that_cannot_be_read_is_a_plain_page(tmp_path, monkeypatch):
    garbage = tmp_path / "store.duckdb"
    garbage.write_bytes(b"not a database" * 100)
    monkeypatch.setenv("DASHBOARD_DB", str(garbage))
    document = snapshot.render_or_explain("overview", {})
    assert document.startswith("<!doctype html>") and "No snapshot was taken: The store at" in document
