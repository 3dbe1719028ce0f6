"""The URL contract in a real browser: a shared link opens the view it names, a broken link degrades
to the defaults with a notice instead of a traceback, and the filters travel with the reader from
page to page. Drives `streamlit run dashboard/app.py` on the session's store in headless Chromium."""

from __future__ import annotations

import contextlib
import csv
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from dashboard import kpis, pages, serving, store

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 30_000          # a shared 2-core CI machine: be patient, never sleep blindly
STARTUP_S = 60

APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
METRIC = "[data-testid='stMetric']"
METRIC_LABEL = "[data-testid='stMetricLabel']"
WARNING = "[data-testid='stAlertContentWarning']"   # st.warning; st.info/st.error share stAlert
EXCEPTION = "[data-testid='stException']"
NAV_LINK = "[data-testid='stSidebarNavLink']"

PERIOD = {"from": "2025-03-01", "to": "2025-05-31"}

expect.set_options(timeout=TIMEOUT_MS)


@contextlib.contextmanager
def streamlit_server(db_path: Path, log_dir: Path, port: int | None = None, host: str = "127.0.0.1",
                     extra_args: tuple[str, ...] = (), env: dict | None = None):
    """`streamlit run dashboard/app.py` on a free port, pointed at db_path; yields its base URL."""
    port = port or serving.free_port()
    log_path = log_dir / "server.log"
    env = {**os.environ, "DASHBOARD_DB": str(db_path), **(env or {})}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
             "--server.port", str(port), "--server.headless", "true", *extra_args],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://{host}:{port}"
    try:
        if not serving.wait_until_healthy(base, proc, STARTUP_S):
            pytest.fail(f"streamlit did not become healthy (exit code {proc.poll()}):\n"
                        f"{log_path.read_text(errors='replace')[-3000:]}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(store_path, tmp_path_factory):
    """The app pointed at the session's store; yields its base URL."""
    with streamlit_server(store_path, tmp_path_factory.mktemp("streamlit")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="module")
def team(store_path) -> str:
    # same config as store.open_read_only: DuckDB refuses a second handle on a file with another config
    con = store.open_read_only(store_path)
    try:
        name = con.execute("select min(team_name) from teams").fetchone()[0]
    finally:
        con.close()
    assert name, "the store has no teams"
    return name


def open_view(page, base: str, path: str = "/", **params: str) -> None:
    page.goto(f"{base}{path}" + (f"?{urlencode(params)}" if params else ""))
    settle(page)


def settle(page) -> None:
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT_MS)
    page.locator(f"[data-testid='stSidebar'] {NAV_LINK}").first.wait_for(timeout=TIMEOUT_MS)


def settle_tiles(page, at_least: int = 10) -> None:
    settle(page)
    expect(page.locator(METRIC).nth(at_least - 1)).to_be_visible()
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT_MS)


def date_field(page, label: str):
    """The date field as shown: a group of year, month and day segments whose text reads '2025-03-01'."""
    return page.get_by_role("group", name=label, exact=True)


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def assert_no_exception(page) -> None:
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert "Traceback" not in page.locator("body").inner_text()


ERROR_ALERT = "[data-testid='stAlertContentError']"
# "/" (the default page) and every page at its own path, the default page's included
PAGE_PATHS = ("/", *(f"/{path}" for path in pages.paths()))


def test_every_page_loads_without_an_error(page, server):
    """First in the module on purpose: a page path as the server's very first request once ran that
    page alone, without app.py (Streamlit's legacy pages/ folder detection)."""
    for path in PAGE_PATHS:
        open_view(page, server, path, **PERIOD)
        page.wait_for_timeout(300)  # a chart may still be drawing after the script ends
        page.wait_for_selector(APP_IDLE, timeout=TIMEOUT_MS)
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        assert_no_exception(page)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        errors = page.locator(ERROR_ALERT)
        assert errors.count() == 0, f"{path}: {errors.all_inner_texts()}"


def readme_app_paths() -> set[str]:
    """The paths of the app the README sends a reader to: those of its links to the local server
    and the `/path` names it quotes (the Pages table), whatever page they turn out to be."""
    text = (ROOT / "README.md").read_text()
    found = {urlsplit(url).path or "/" for url in re.findall(r"http://localhost:\d+[^\s`)>]*", text)}
    found |= set(re.findall(r"`(/[a-z][a-z0-9-]*)[`?]", text))
    return found


def test_the_readme_names_every_page_by_its_path():
    """So that the browser test below opens what a reader of the README would."""
    assert {f"/{path}" for path in pages.paths()} <= readme_app_paths()


def test_every_path_opens_its_page_with_the_link_kept(page, server, team):
    """Streamlit serves its default page at "/" only; /overview (the README's path) once opened a
    "Page not found" dialog over it. Every registry path and README path opens its page, under
    its registry title, with the link's parameters applied and still in the address bar."""
    titles = {f"/{p.path}": p.page_title for p in pages.PAGES} | {"/": pages.DEFAULT.page_title}
    paths = sorted(set(PAGE_PATHS) | readme_app_paths())
    assert set(paths) <= set(titles), f"the README names paths no page has: {set(paths) - set(titles)}"
    for path in paths:
        open_view(page, server, path, team=team, **PERIOD)
        expect(page.get_by_role("heading", level=1).first).to_have_text(titles[path])
        expect(page.get_by_text("Page not found")).to_have_count(0)
        assert_no_exception(page)
        assert urlsplit(page.url).path == path, (path, page.url)
        assert query_of(page).get("team") == [team] and query_of(page).get("from") == [PERIOD["from"]], page.url
        expect(page.get_by_role("combobox", name="Team", exact=True)).to_have_value(team)
        expect(date_field(page, "From")).to_have_text(PERIOD["from"])


def test_shared_link_opens_the_view_it_names(page, server, team):
    open_view(page, server, "/", team=team, **PERIOD)
    settle_tiles(page)

    expect(page.get_by_role("combobox", name="Team", exact=True)).to_have_value(team)
    expect(date_field(page, "From")).to_have_text("2025-03-01")
    expect(date_field(page, "To")).to_have_text("2025-05-31")

    assert page.locator(METRIC).count() >= 10
    labels = [text.strip() for text in page.locator(METRIC_LABEL).all_inner_texts()]
    assert "CSAT" in labels and "ASA" in labels, labels
    for label in ("CSAT", "ASA"):
        expect(page.locator(METRIC).filter(has=page.locator(METRIC_LABEL, has_text=label)).first).to_be_visible()
    assert_no_exception(page)
    assert query_of(page).get("team") == [team], page.url


def test_malformed_link_falls_back_with_notices(page, server):
    open_view(page, server, "/", team="Nobody", **{"from": "2025-13-45", "to": "yesterday"})
    settle_tiles(page)

    assert_no_exception(page)
    warnings = page.locator(WARNING)
    expect(warnings.filter(has_text="'Nobody'")).to_be_visible()
    for label, bad in (("From", "2025-13-45"), ("To", "yesterday")):
        notice = warnings.filter(has_text=bad)
        expect(notice).to_be_visible()
        # the notice names the default it falls back to, and the field shows that default
        fallback = re.search(r"using (\d{4}-\d{2}-\d{2})", notice.inner_text())
        assert fallback, notice.inner_text()
        expect(date_field(page, label)).to_have_text(fallback.group(1))

    expect(page.get_by_role("combobox", name="Team", exact=True)).to_have_value("All")
    assert page.locator(METRIC).count() >= 10


def test_filters_survive_moving_between_pages(page, server, team):
    open_view(page, server, "/", team=team, **PERIOD)
    settle_tiles(page)

    page.locator(NAV_LINK).filter(has_text="Wait times").click()
    page.wait_for_url(re.compile(r"/wait-times(\?|$)"))
    expect(page.get_by_role("heading", name="Wait times", level=1)).to_be_visible()
    settle(page)

    assert urlsplit(page.url).path == "/wait-times", page.url
    query = query_of(page)
    assert query.get("team") == [team], page.url
    assert query.get("from") == [PERIOD["from"]], page.url
    expect(page.get_by_role("combobox", name="Team", exact=True)).to_have_value(team)
    expect(date_field(page, "From")).to_have_text(PERIOD["from"])
    assert_no_exception(page)



def test_clicking_a_team_drills_down_and_back(page, server):
    """Click a team's bar: every filter narrows to it (the URL's team changes); then go back."""
    open_view(page, server, "/teams", **PERIOD)
    expect(page.get_by_role("heading", name="CSAT by team").first).to_be_visible()
    chart = page.locator("[data-testid='stPlotlyChart']").first
    bar = chart.locator("g.point path").first
    expect(bar).to_be_visible()
    assert "team" not in query_of(page)
    box = bar.bounding_box()  # plotly's drag layer covers the bars: click where the bar is drawn
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r"[?&]team="))
    settle(page)
    drilled = query_of(page)["team"][0]
    expect(page.get_by_role("combobox", name="Team", exact=True)).to_have_value(drilled)
    assert query_of(page).get("from") == [PERIOD["from"]]
    page.get_by_role("button", name="Back to all teams").click()
    page.wait_for_url(lambda url: "team=" not in url)
    settle(page)
    expect(page.get_by_role("combobox", name="Team", exact=True)).to_have_value("All")
    assert_no_exception(page)


def test_copy_link_reproduces_filters_drill_down_controls_and_tiles(browser, server):
    """Issue 11: set the period, a page control and a drill-down by clicking; press Copy link; the
    copied link, opened in a fresh browser, shows the same filters, control and figures."""
    from dashboard import catalogue, config, filters

    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    open_view(page, server, "/escalations", **PERIOD)
    grant = page.get_by_label(filters.CONTROL["grant"].label)
    grant.fill("750")
    grant.press("Enter")
    page.wait_for_function("new URLSearchParams(location.search).get('grant') === '750'")
    settle(page)
    drill = catalogue.load(config.queries_dir()).get("escalations_level_by_team")
    assert drill.spec.drill and drill.page == "escalations"
    chart = page.locator(f".st-key-chart_{drill.name}")   # Streamlit marks an element with its key
    chart.scroll_into_view_if_needed()
    expect(chart.locator("g.point path").first).to_be_attached()
    boxes = [b for b in (bar.bounding_box() for bar in chart.locator("g.point path").all()) if b and b["height"] > 3]
    box = max(boxes, key=lambda b: b["height"])   # a bar of 0 is not there to click
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("new URLSearchParams(location.search).has('team')")
    settle(page)
    team = page.get_by_role("combobox", name="Team", exact=True).input_value()
    figures = page.locator("[data-testid='stMetricValue']").all_inner_texts()
    assert team != "All" and figures
    page.get_by_role("button", name="Copy link").click()
    page.locator("[data-testid='stPopoverBody'] [data-testid='stCode']").hover()   # its button shows on hover
    page.locator("[data-testid='stPopoverBody'] button[aria-label='Copy to clipboard']").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    context.close()

    assert copied.startswith(f"{server}/escalations?")
    fresh = browser.new_context(viewport={"width": 1600, "height": 1000})
    fresh.set_default_timeout(TIMEOUT_MS)
    again = fresh.new_page()
    again.goto(copied)
    settle(again)
    expect(again.locator("[data-testid='stMetricValue']").first).to_be_visible()
    settle(again)
    expect(again.get_by_role("combobox", name="Team", exact=True)).to_have_value(team)
    expect(date_field(again, "From")).to_have_text(PERIOD["from"])
    expect(date_field(again, "To")).to_have_text(PERIOD["to"])
    expect(again.get_by_label(filters.CONTROL["grant"].label)).to_have_value("750")
    assert again.locator("[data-testid='stMetricValue']").all_inner_texts() == figures
    assert_no_exception(again)
    fresh.close()


def test_on_a_phone_the_overview_shows_tiles_two_to_a_row_and_a_chart_within_two_screens(browser, server):
    phone = {"width": 390, "height": 844}
    context = browser.new_context(viewport=phone, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{server}/")
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT_MS)
    expect(page.locator(METRIC).nth(3)).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_attached()
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT_MS)
    tiles = [page.locator(METRIC).nth(i).bounding_box() for i in range(4)]
    assert tiles[0]["y"] == tiles[1]["y"] < tiles[2]["y"] == tiles[3]["y"]      # two to a row
    assert tiles[1]["x"] + tiles[1]["width"] <= phone["width"]
    assert page.locator(".js-plotly-plot").first.bounding_box()["y"] < 2 * phone["height"]
    widths = page.evaluate("[...document.querySelectorAll('[data-testid=\"stMain\"]')].map(m => [m.scrollWidth, m.clientWidth])")
    assert all(scroll <= client for scroll, client in widths)                  # nothing runs off the side
    assert_no_exception(page)
    context.close()


CUT_TEXT = """() => [...document.querySelectorAll('[data-testid=stMetric] *, [data-testid=stButton] *, [data-testid=stPopover] *')]
    .filter(e => e.children.length == 0 || e.classList.contains('stMarkdownEllipsis'))
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""


@pytest.mark.parametrize("width", [1280, 1400])
def test_no_tile_label_value_or_button_is_cut_on_a_laptop_screen(browser, server, team, width):
    """At 1280-1400 px the tiles read "Service level (…", "Agent attritio..." and "Back to all tea..."."""
    context = browser.new_context(viewport={"width": width, "height": 2400})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{server}/overview?team={quote(team)}")
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT_MS)
    expect(page.locator(METRIC).nth(13)).to_be_visible()
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT_MS)
    assert page.locator(METRIC).count() >= 14
    assert page.evaluate(CUT_TEXT) == []
    context.close()


def tile_value(page, label: str) -> str:
    tile = page.locator(METRIC).filter(has=page.locator(METRIC_LABEL, has_text=label)).first
    return tile.locator("[data-testid='stMetricValue']").inner_text().strip()


def test_an_import_while_the_app_is_open_reaches_open_pages_on_their_next_rerun(browser, tmp_path):
    """Issue 4: the import swaps a new store file in while one page is open and another link is
    loading; neither errors, and the open page shows the new data when it next reruns."""
    from conftest import PWC_CSV, PWC_MAPPING

    january = tmp_path / "january.csv"
    january.write_text("\n".join(PWC_CSV.read_text().splitlines()[:1001]) + "\n")
    db = tmp_path / "store.duckdb"
    importing = [sys.executable, "-m", "dashboard", "import", "--mapping", str(PWC_MAPPING), "--db", str(db)]
    subprocess.run([*importing, str(january)], cwd=ROOT, check=True, capture_output=True, timeout=120)
    with open(PWC_CSV, newline="") as handle:
        calls = list(csv.DictReader(handle))
    first_rate = 100 * sum(r["Answered (Y/N)"] == "N" for r in calls[:1000]) / 1000
    full_rate = 100 * sum(r["Answered (Y/N)"] == "N" for r in calls) / len(calls)
    assert f"{first_rate:.1f}" != f"{full_rate:.1f}", "the fixture needs the two imports to differ"
    link = {"from": "2021-01-01", "to": "2021-03-31"}

    with streamlit_server(db, tmp_path) as base:
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        context.set_default_timeout(TIMEOUT_MS)
        open_page, late_page = context.new_page(), context.new_page()
        open_view(open_page, base, "/", **link)
        settle_tiles(open_page)
        assert tile_value(open_page, "Abandon rate") == f"{first_rate:.1f} %"

        swap = subprocess.Popen([*importing, str(PWC_CSV)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        late_page.goto(f"{base}/wait-times?{urlencode(link)}")   # a link opened during the swap
        _, stderr = swap.communicate(timeout=120)
        assert swap.returncode == 0, stderr.decode()
        settle(late_page)
        expect(late_page.locator(EXCEPTION)).to_have_count(0)

        open_page.bring_to_front()
        open_page.locator(f"[data-testid='stSidebar'] {NAV_LINK}", has_text="Overview").first.click()  # a rerun
        expect(open_page.locator(METRIC).filter(has=open_page.locator(METRIC_LABEL, has_text="Abandon rate"))
               .first).to_contain_text(f"{full_rate:.1f} %")
        expect(open_page.locator(EXCEPTION)).to_have_count(0)
        context.close()


LAB_SQL = "select team_name, count(*) as contacts from teams join interactions using (team_id) group by 1 order by 1"


def run_in_lab(page, base: str, sql: str) -> None:
    open_view(page, base, "/sql-lab", **PERIOD)
    editor = page.locator("[data-testid='stTextArea'] textarea").first
    editor.fill(sql)
    page.get_by_role("button", name="Run").click()
    page.wait_for_timeout(300)
    page.wait_for_selector(APP_IDLE, timeout=TIMEOUT_MS)


def test_the_sql_lab_runs_a_typed_query_and_shows_its_rows(page, server, store_path):
    with store.open_read_only(store_path) as con:
        expected = con.execute(LAB_SQL).fetchall()
    run_in_lab(page, server, LAB_SQL)
    assert_no_exception(page)
    expect(page.get_by_text(re.compile(rf"^{len(expected)} rows · "))).to_be_visible()
    grid = page.locator("[data-testid='stDataFrame']").filter(has_text="contacts").first
    expect(grid).to_be_visible()
    # the grid draws on a canvas; its accessible table holds the cells (column, row)
    for row, (team_name, contacts) in enumerate(expected[:3]):
        expect(grid.locator(f"[data-testid='glide-cell-0-{row}']")).to_have_text(team_name)
        expect(grid.locator(f"[data-testid='glide-cell-1-{row}']")).to_have_text(str(contacts))
    assert "sql=" in page.url   # the query is part of the link


def test_the_sql_lab_refuses_a_drop_with_a_plain_message(page, server):
    run_in_lab(page, server, "DROP TABLE teams")
    assert_no_exception(page)
    expect(page.locator("[data-testid='stAlertContentError']")).to_contain_text("DROP statement")


def test_no_tile_reads_zero_when_the_import_lacks_its_input(browser, bare_log_store_path, tmp_path_factory):
    """A call log without resolution, waits or leaving dates: those tiles say "no data" and why,
    no tile reads 0.0 %, and no tile claims a change or a met target it cannot know."""
    with streamlit_server(bare_log_store_path, tmp_path_factory.mktemp("bare-streamlit")) as base:
        context = browser.new_context(viewport={"width": 1600, "height": 2400})
        context.set_default_timeout(TIMEOUT_MS)
        pg = context.new_page()
        try:
            open_view(pg, base, "/", **{"from": "2025-03-01", "to": "2025-03-31"})
            expect(pg.locator(METRIC)).to_have_count(14)
            values = {pg.locator(METRIC).nth(i).locator(METRIC_LABEL).inner_text():
                      pg.locator(METRIC).nth(i).locator("[data-testid='stMetricValue']").inner_text()
                      for i in range(14)}
            for kpi_id in ("fcr", "asa", "service_level", "aht", "attrition_annualised"):
                assert values[kpis.KPIS[kpi_id].tile_label] == "no data", (kpi_id, values)
            assert not [v for v in values.values() if re.fullmatch(r"0(\.0)? %", v)], values
            body = pg.locator("[data-testid='stMain']").inner_text()
            assert "No data: this store has no resolution field" in body
            assert "No data: this store has no waiting times" in body
            assert "No data: this store has no leaving dates" in body
            assert pg.locator("[data-testid='stMetricDelta']").count() == 0
            assert pg.locator(EXCEPTION).count() == 0
            pg.screenshot(path=str(tmp_path_factory.mktemp("shots") / "bare_overview.png"), full_page=True)
        finally:
            context.close()


@contextlib.contextmanager
def request_counter():
    """A local http listener that counts every request (an image a name or URL value made the
    browser fetch would land here); yields (port, the list of paths asked for)."""
    import http.server
    import threading

    asked: list[str] = []

    class Count(http.server.BaseHTTPRequestHandler):
        def do_GET(self):   # noqa: N802 (http.server's name)
            asked.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Count)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    try:
        yield listener.server_address[1], asked
    finally:
        listener.shutdown()
        listener.server_close()


def test_hostile_names_and_url_values_render_as_text_and_fetch_nothing(browser, tmp_path_factory):
    """Team and touchpoint names imported with markdown links, images, LaTeX, colour directives and
    HTML, and URL values carrying the same, show as typed on every page; the browser fetches
    nothing from the listener they point at; a 10,000-character team name leaves the page usable."""
    from test_safe_text import SESSION_EXPIRED, hostile_names, hostile_store

    with request_counter() as (port, asked):
        names = hostile_names(port)
        db = hostile_store(tmp_path_factory.mktemp("hostile-store"), port)
        with streamlit_server(db, tmp_path_factory.mktemp("hostile-streamlit")) as base:
            context = browser.new_context(viewport={"width": 1600, "height": 1000})
            context.set_default_timeout(TIMEOUT_MS)
            pg = context.new_page()
            try:
                links = [{"team": names["link"]}, {"team": names["image"]}, {"team": names["html"]},
                         {"team": f"![i](http://127.0.0.1:{port}/url-beacon.png)",
                          "touchpoint": f"$x$ :red[{SESSION_EXPIRED}]"}]
                for params in links:
                    for path in PAGE_PATHS:
                        open_view(pg, base, path, **PERIOD, **params)
                        pg.wait_for_timeout(300)
                        pg.wait_for_selector(APP_IDLE, timeout=TIMEOUT_MS)
                        assert_no_exception(pg)
                        main = pg.locator("[data-testid='stMain']")
                        assert main.locator("a[href*='evil.example']").count() == 0, path
                        assert main.locator("img[src*='127.0.0.1']").count() == 0, path
                        assert main.locator(".katex").count() == 0, path
                open_view(pg, base, "/", **PERIOD, team=names["link"])
                expect(pg.locator("[data-testid='stMain']").get_by_text("Session expired", exact=False).first) \
                    .to_be_visible()
                open_view(pg, base, "/", **PERIOD, team=names["long"])
                expect(pg.locator("[data-testid='stSidebar']")).to_be_visible()
                expect(pg.locator(METRIC).first).to_be_in_viewport()
                pg.wait_for_timeout(1000)   # give any stray image request time to arrive
            finally:
                context.close()
    assert asked == []
