"""AppTest: every page runs; URL parameters reach the tiles; bad links give notices."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, config, filters, kpis, pages

PAGES = [page.view for page in pages.PAGES]


def app(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_the_registry_holds_every_view_once_under_unique_paths_and_titles():
    views = sorted(p.name for p in (ROOT / "dashboard" / "views").glob("*.py"))
    assert sorted(PAGES) == views   # no view outside the registry, none listed twice
    assert len(set(pages.paths())) == len(pages.PAGES) and len({p.title for p in pages.PAGES}) == len(pages.PAGES)
    assert pages.DEFAULT.path == "overview" and pages.DEFAULT.pageable
    assert [p.path for p in pages.PAGES if not p.pageable] == ["queries", "sql-lab"]
    for path in pages.paths():   # a URL path Streamlit accepts as it is (no slash, no case to fold)
        assert path == path.strip("/").lower() and "/" not in path and " " not in path


def test_page_names_are_spelled_only_in_the_registry():
    """app.py builds the navigation from pages.py; views pass their path and take their title from it."""
    app_source = (ROOT / "dashboard" / "app.py").read_text()
    for page in pages.PAGES:
        assert f'"{page.path}"' not in app_source and f'"{page.title}"' not in app_source
        view_source = page.view_path.read_text()
        assert f'"{page.page_title}"' not in view_source, f"{page.view} spells its own title"


@pytest.mark.parametrize("page", pages.PAGES, ids=lambda p: p.path)
def test_every_registry_page_is_in_the_navigation_and_shows_its_registry_title(app_env, page):
    at = app()
    at.switch_page(f"views/{page.view}").run()   # AppTest refuses a file st.navigation did not register
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == page.page_title


@pytest.mark.parametrize("page", PAGES)
def test_views_are_layout_only(page):
    source = (ROOT / "dashboard" / "views" / page).read_text()
    assert len(source.splitlines()) <= 90, f"{page}: move logic into a tested module"
    for forbidden in ("duckdb", "select ", "SELECT "):
        assert forbidden not in source, f"{page} should not hold SQL or open the store"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_exception(app_env, page):
    at = app()
    at.switch_page(f"views/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title, "each page has a title"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_a_store_with_only_contacts_and_customer_surveys(sparse_store_path, monkeypatch, page):
    monkeypatch.setenv("DASHBOARD_DB", str(sparse_store_path))
    at = app()
    at.switch_page(f"views/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_overview_on_a_sparse_store_says_no_data_where_tables_are_empty(sparse_store_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(sparse_store_path))
    tiles = {m.label: m.value for m in app().metric}
    assert tiles["Agent satisfaction"] == "no data" and tiles[kpis.KPIS["manager_response_72h"].tile_label] == "no data"
    assert tiles["Customer churn"] == "no data"
    assert tiles["CSAT"].endswith("%") and tiles["CSAT"] != "no data"


def test_overview_tiles_show_the_linked_view(app_env, con):
    team = filters.read_choices(con).teams_at(None)[2]
    at = app(team=team, **{"from": "2025-05-01", "to": "2025-06-30"})
    assert not at.exception and not at.warning
    assert [s.value for s in at.sidebar.selectbox][:2] == ["All", team]
    assert [d.value for d in at.sidebar.date_input] == [dt.date(2025, 5, 1), dt.date(2025, 6, 30)]
    tiles = {m.label: m for m in at.metric}
    assert set(tiles) == {k.tile_label for k in kpis.KPIS.values()}
    # the tile shows what the query gives for this team and period, and a delta against Mar-Apr
    chosen = filters.Filters(dt.date(2025, 5, 1), dt.date(2025, 6, 30), team=team)
    query = catalogue.load(config.queries_dir()).get("overview_customer_kpis")
    now = catalogue.execute(con, query, chosen.as_params()).row(0, named=True)
    before = catalogue.execute(con, query, chosen.previous_period().as_params()).row(0, named=True)
    csat = kpis.KPIS["csat"]
    assert tiles["CSAT"].value == csat.format(now["csat"])
    assert tiles["CSAT"].delta == csat.format_delta(now["csat"] - before["csat"])
    assert f"n = {now['csat_n']:,} answers" in " ".join(c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 2


def test_a_previous_period_before_the_data_shows_no_change(app_env):
    """March-May against December-February: the data begins on 1 January, so no tile compares."""
    at = app(**{"from": "2025-03-01", "to": "2025-05-31"})
    assert not at.exception
    assert all(not m.delta for m in at.metric)
    captions = [c.value for c in at.caption]
    assert "No comparison: the previous period starts 29 Nov 2024, before the data begins (1 Jan 2025)." in captions


def test_a_malformed_link_falls_back_with_visible_notices(app_env):
    at = app(team="Nobody", **{"from": "2025-13-45", "to": "yesterday"})
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "Nobody" in notices and "2025-13-45" in notices and "yesterday" in notices
    assert [s.value for s in at.sidebar.selectbox][1] == "All"
    assert len(at.metric) == len(kpis.KPIS)
    assert "team" not in at.query_params


def test_a_missing_store_is_explained_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "none.duckdb"))
    at = app()
    assert not at.exception
    assert "No store at" in at.error[0].value


def test_a_broken_query_file_is_shown_in_place_and_the_rest_renders(app_env, tmp_path, monkeypatch):
    for path in config.queries_dir().glob("*.sql"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "overview_zz_broken.sql").write_text(
        "-- title: Broken\n-- description: d\n-- page: overview\n-- chart: bar\n-- x: a\n-- y: b\nselect 1 as a,\n  nosuch as b\n")
    monkeypatch.setenv("DASHBOARD_QUERIES", str(tmp_path))
    at = app()
    assert not at.exception
    assert any("overview_zz_broken.sql:8" in e.value and "nosuch" in e.value for e in at.error)
    assert len(at.metric) == len(kpis.KPIS) and len(at.get("plotly_chart")) == 2


def test_a_store_from_an_older_version_is_explained_and_rebuilt(tmp_path, monkeypatch):
    import subprocess
    import sys

    import duckdb

    from dashboard import demo

    path = demo.build(tmp_path / "old.duckdb", interactions=2000, seed=1, progress=False)
    with duckdb.connect(str(path)) as con:
        con.execute("drop macro table team_month_attrition")
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    at = app()
    assert not at.exception
    assert "older version" in at.error[0].value and "team_month_attrition" in at.error[0].value
    done = subprocess.run([sys.executable, "-m", "dashboard", "demo", "--if-missing", "--interactions", "2000",
                           "--db", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "rebuilding" in done.stdout
    # checked from a fresh process: this one's DuckDB still holds the replaced file open
    fresh = subprocess.run([sys.executable, "-c", "import sys; from dashboard import store; "
                            "print(store.schema_problems(store.open_read_only(sys.argv[1])))", str(path)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert fresh.stdout.strip() == "[]", fresh.stderr


def test_a_store_from_before_the_rollups_is_explained_by_the_app_and_the_import(store_path, tmp_path, monkeypatch):
    """A store published before the KPI layer and its rollups: a copy of the test store without the tables
    the publish builds (coverage.BUILT_FROM) and the macros that read them. The app and the import both
    say it was built by an older version, naming what it lacks, and change nothing."""
    import shutil

    import duckdb

    from dashboard import coverage, importer, mapping, store
    from conftest import PWC_CSV, PWC_MAPPING

    path = tmp_path / "before_rollups.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    rollups = sorted(coverage.BUILT_FROM)
    with duckdb.connect(str(path)) as con:
        readers = sorted({name for name, definition in con.execute(
            "select function_name, macro_definition from duckdb_functions() "
            "where function_type = 'table_macro' and schema_name = 'main'").fetchall()
            if any(table in definition for table in rollups)})
        assert {"filtered_intervals", "filtered_days", "filtered_contact_months"} <= set(readers)
        for name in readers:
            con.execute(f"drop macro table {name}")   # names from DuckDB's catalog
        for table in rollups:
            con.execute(f"drop table {table}")   # names from coverage.BUILT_FROM
    untouched = path.read_bytes()
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    at = app()
    assert not at.exception
    message = at.error[0].value
    assert "built by an older version" in message
    assert all(f"table {table}" in message for table in rollups), message
    assert all(f"macro {name}" in message for name in readers), message
    with pytest.raises(importer.SourceError, match="built by an older version") as refused:
        importer.run([PWC_CSV], mapping.load(PWC_MAPPING), path)
    assert all(f"table {table}" in str(refused.value) for table in rollups)
    assert path.read_bytes() == untouched


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_a_store_holding_only_the_pwc_import(pwc_store_path, monkeypatch, page):
    monkeypatch.setenv("DASHBOARD_DB", str(pwc_store_path))
    at = app()
    at.switch_page(f"views/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_charts_name_the_data_an_import_did_not_supply(pwc_store_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(pwc_store_path))
    at = app()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Escalation rate"] == "no data"   # the export has no escalation levels: not 0 %
    assert tiles["Agent satisfaction"] == "no data" and tiles["Customer churn"] == "no data"
    at.switch_page("views/escalations.py").run()
    notes = [i.value for i in at.info]
    assert any(n.startswith("No data: this store has no escalation levels (interactions.escalation_depth was not "
                            "imported)") and "python -m dashboard import" in n for n in notes), notes
    at.switch_page("views/management.py").run()
    assert any("No data: no agent requests to managers were imported (agent_requests is empty)" in i.value
               for i in at.info)


# ---- page controls in the link ----------------------------------------------------------------------

def open_page(view: str, **params) -> AppTest:
    at = app(**params)
    return at.switch_page(f"views/{view}").run()


# view, a bad link value, the widget that shows it, its default as the widget holds it
BAD_CONTROLS = [
    ("customer_vs_agent.py", {"cva_view": "Within team"}, "radio", "pooled"),
    ("customer_vs_agent.py", {"cva_measure": "csat"}, "radio", "CSAT"),
    ("customer_vs_agent.py", {"cva_lag": "Same month"}, "selectbox", 0),
    ("customer_vs_agent.py", {"cva_min_answers": "0"}, "number_input", 8),
    ("customer_vs_agent.py", {"cva_outcome": "AHT"}, "radio", "csat"),
    ("wait_times.py", {"measure": "ASA"}, "button_group", "service_level"),
    ("wait_times.py", {"interval": "45"}, "selectbox", 30),
    ("wait_times.py", {"calls": "-3"}, "number_input", None),
    ("wait_times.py", {"aht": "fast"}, "number_input", None),
    ("wait_times.py", {"sl_target": "100"}, "number_input", 80),
    ("wait_times.py", {"sl_within": "0"}, "number_input", 20),
    ("wait_times.py", {"calls": "100", "aht": "180", "lost": "9"}, "slider", 0),
    ("wait_times.py", {"patience": "0"}, "number_input", None),
    ("escalations.py", {"grant": "-5"}, "number_input", 300.0),
    ("teams.py", {"rank": "Agents"}, "button_group", "team"),
]


@pytest.mark.parametrize("view, link, widget, default", BAD_CONTROLS,
                         ids=[f"{v}:{'&'.join(f'{k}={x}' for k, x in p.items())}" for v, p, _, _ in BAD_CONTROLS])
def test_a_bad_control_value_shows_one_notice_and_the_page_renders_with_the_default(app_env, view, link, widget,
                                                                                    default):
    key = list(link)[-1]
    at = open_page(view, **link)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [w.value for w in at.warning] == [
        f"'{key}={link[key]}' is not {filters.CONTROL[key].accepted()}; using "
        f"{'the value from the data' if default is None else filters.CONTROL[key].url_value(default)}."]
    assert _widget(at, widget, key).value == default
    assert key not in at.query_params, "the link on screen no longer carries the refused value"
    assert at.get("plotly_chart") or at.metric, "the page renders under the notice"


def _widget(at: AppTest, kind: str, key: str):
    return next(w for w in at.get(kind) if getattr(w, "key", None) == key)


def test_a_control_writes_its_short_value_into_the_link(app_env):
    at = open_page("customer_vs_agent.py", cva_view="within", cva_lag="-2")
    assert not at.exception and not at.warning
    assert at.radio(key="cva_view").value == "within" and at.selectbox(key="cva_lag").value == -2
    assert at.selectbox(key="cva_lag").format_func(-2) == "Customer score 2 months before agent satisfaction"
    assert (at.query_params["cva_view"], at.query_params["cva_lag"]) == ("within", "-2")
    at.radio(key="cva_measure").set_value("NPS")
    at.selectbox(key="cva_lag").set_value(0).run()
    assert at.query_params["cva_measure"] == "NPS" and "cva_lag" not in at.query_params, "a default is left out"


def test_a_reversed_period_in_a_link_shows_exactly_one_notice(app_env):
    at = app(**{"from": "2025-12-31", "to": "2025-01-01"})
    assert not at.exception
    assert len(at.warning) == 1 and "is after 'to'" in at.warning[0].value and "default period" in at.warning[0].value
