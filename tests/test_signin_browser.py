"""Sign-in through a real OpenID Connect provider on localhost (oidc-provider-mock), in Chromium:
an executive, a manager of one team, an analyst (by a group claim) and an unknown person each sign
in at the provider's form and see what their role and scope allow. And the open-mode server started
by the launcher listens on 127.0.0.1 only."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from dashboard import safe_text, serving, store
from test_browser import (
    APP_IDLE,
    CHROMIUM,
    CHROMIUM_ARGS,
    NAV_LINK,
    ROOT,
    TIMEOUT_MS,
    streamlit_server,
)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
oidc = pytest.importorskip("oidc_provider_mock")

pytestmark = pytest.mark.browser

EXECUTIVE, MANAGER, ANALYST, STRANGER = ("ceo@example.com", "lead@example.com", "ana@example.com",
                                         "stranger@example.com")


@pytest.fixture(scope="module")
def teams(store_path) -> list[str]:
    with store.open_read_only(store_path) as con:   # as the suite opens it (one configuration per file)
        return [name for (name,) in con.execute("select team_name from teams order by team_name").fetchall()]


@pytest.fixture(scope="module")
def signed_server(store_path, teams, tmp_path_factory):
    """The app with [auth] pointing at a mock provider, and an access file naming three people."""
    folder = tmp_path_factory.mktemp("signin")
    analyst = oidc.User(sub=ANALYST, claims={"email": ANALYST, "groups": ["cc-analysts"]})
    with oidc.run_server_in_thread(port=0, user_claims=[analyst]) as provider:
        port = serving.free_port()
        secrets = folder / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
            'cookie_secret = "a-test-cookie-secret-that-is-long-enough-0123456789"\n'
            'client_id = "dashboard"\nclient_secret = "dashboard-secret"\n'
            f'server_metadata_url = "http://localhost:{provider.server_port}/.well-known/openid-configuration"\n')
        rules = folder / "access.yaml"
        rules.write_text(
            "people:\n"
            f"  - {{email: {EXECUTIVE}, role: executive, scope: all}}\n"
            f"  - {{email: {MANAGER}, role: manager, scope: {{teams: ['{teams[0]}']}}}}\n"
            "  - {group: cc-analysts, role: analyst, scope: all}\n")
        with streamlit_server(store_path, folder, port=port, host="localhost",
                              extra_args=("--secrets.files", str(secrets)),
                              env={"DASHBOARD_ACCESS": str(rules), "DASHBOARD_AUDIT_LOG": str(folder / "audit.log")}
                              ) as base:
            yield base, folder / "audit.log"


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in(browser, base: str, email: str, path: str = "/"):
    """A fresh browser signs in as `email` at the provider's form; returns the page, back in the app."""
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{base}{path}")
    page.wait_for_selector(APP_IDLE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("input[name='sub']")
    page.fill("input[name='sub']", email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base}/**")
    page.wait_for_selector(APP_IDLE)
    return page


def audited(log: Path) -> set[tuple[str, str]]:
    """(who, event) of every line of the audit log."""
    return {(entry["who"], entry["event"]) for entry in map(json.loads, log.read_text().splitlines())}


def navigation(page) -> list[str]:
    """The navigation's page names (each link's last line: the first is its icon's name)."""
    return [text.splitlines()[-1] for text in page.locator(NAV_LINK).all_inner_texts()]


def sidebar_text(page) -> str:
    """The sidebar as read, without the word joiners safe_text puts in e-mail addresses (so no
    markdown renderer turns them into links)."""
    return page.locator("[data-testid='stSidebar']").inner_text().replace(safe_text.WORD_JOINER, "")


def test_nobody_sees_a_figure_before_signing_in(browser, signed_server):
    base, _ = signed_server
    page = browser.new_page()
    page.goto(base)
    page.wait_for_selector(APP_IDLE)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.locator("[data-testid='stMetric']").count() == 0
    page.close()


def test_an_executive_sees_every_team_and_no_lab(browser, signed_server, teams):
    base, log = signed_server
    page = sign_in(browser, base, EXECUTIVE)
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible()
    assert f"Signed in: {EXECUTIVE} · executive · the whole company" in sidebar_text(page)
    nav = navigation(page)
    assert "Overview" in nav and "SQL lab" not in nav and "Query catalogue" in nav
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").nth(1).click()
    options = page.get_by_role("option").all_inner_texts()   # the list draws the first few only
    assert options[0] == "All" and len(options) > 3 and set(options[1:]) <= set(teams)
    assert (EXECUTIVE, "sign_in") in audited(log)
    page.context.close()


def test_a_manager_sees_only_their_team_and_a_link_to_another_says_so(browser, signed_server, teams):
    base, log = signed_server
    mine, other = teams[0], teams[1]
    page = sign_in(browser, base, MANAGER)
    assert f"Signed in: {MANAGER} · manager · team {mine}" in sidebar_text(page)
    # a link someone sent: Streamlit's sign-in returns to "/", so the link is opened once signed in
    page.goto(f"{base}/escalations?team={quote(other)}")
    page.wait_for_selector(APP_IDLE)
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible()
    body = page.locator("[data-testid='stMain']").inner_text()
    assert f"'{other}' is not a team you may see (your scope: team {mine})" in body
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").nth(1).click()
    assert page.get_by_role("option").all_inner_texts() == ["All", mine]
    assert "SQL lab" not in navigation(page)
    assert (MANAGER, "page") in audited(log)
    # the teams page, its snapshot and a chart's CSV: their team and no other
    page.goto(f"{base}/teams")
    page.wait_for_selector(APP_IDLE)
    expect(page.get_by_role("button", name="Download CSV").first).to_be_attached()
    with page.expect_download() as snapshot:
        page.get_by_role("button", name="Snapshot").click()
    # plotly.js itself (the one script of megabytes) names months like "Ember"; the charts' own scripts stay
    html = re.sub(r"<script>.{1000000,}?</script>", "", Path(snapshot.value.path()).read_text(), flags=re.S)
    assert html.count("Plotly.newPlot") >= 1
    assert mine in html and not [team for team in teams[1:] if f">{team}<" in html or f'"{team}"' in html]
    with page.expect_download() as csv_file:
        page.get_by_role("button", name="Download CSV").first.click()
    rows = Path(csv_file.value.path()).read_text()
    assert not [team for team in teams[1:] if team in rows]
    assert {(MANAGER, "snapshot"), (MANAGER, "download")} <= audited(log)
    page.context.close()


def test_an_analyst_by_group_claim_has_the_lab(browser, signed_server):
    base, _ = signed_server
    page = sign_in(browser, base, ANALYST)
    assert f"Signed in: {ANALYST} · analyst · the whole company" in sidebar_text(page)
    page.locator(NAV_LINK, has_text="SQL lab").click()
    page.wait_for_selector(APP_IDLE)
    expect(page.get_by_role("heading", name="SQL lab")).to_be_visible()
    page.context.close()


def test_an_unknown_person_gets_no_access(browser, signed_server):
    base, _ = signed_server
    page = sign_in(browser, base, STRANGER)
    expect(page.get_by_role("heading", name="No access")).to_be_visible()
    assert f"You are signed in as {STRANGER}, but you have no access" in page.inner_text("body")
    assert page.locator("[data-testid='stMetric']").count() == 0
    assert "Overview" not in navigation(page)
    page.context.close()


# -- open mode: this machine only -------------------------------------------------------------------

def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                address, port_hex = local.split(":")
                if state == "0A" and int(port_hex, 16) == port:   # 0A: LISTEN
                    found.add(address)
    return found


def test_the_open_mode_launcher_listens_on_127_0_0_1_only(store_path, tmp_path):
    port = serving.free_port()
    server = subprocess.Popen([sys.executable, "-m", "dashboard", "serve", "--port", str(port), "--db", str(store_path)],
                              cwd=ROOT, env={**os.environ, "DASHBOARD_AUDIT_LOG": str(tmp_path / "audit.log")},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        serving.wait_until_healthy(f"http://127.0.0.1:{port}", server, 60)
        assert listening_addresses(port) == {"0100007F"}   # 127.0.0.1, and no other interface
    finally:
        server.terminate()
        server.wait(timeout=10)
