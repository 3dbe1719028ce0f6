"""Honest tiles (the truth rules of docs/design.md section 9): a KPI without inputs says "no data" and why, never 0 and
never met or missed; every tile shows its n; a change is shown only when both periods lie inside
the data and rest on at least the minimum n; a zero change is neutral.

Each KPI is checked on a real store whose import lacks that KPI's input: the app's SQL gives NULL
and the tile names the missing input."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, config, coverage, filters, kpis, store
from dashboard.coverage import Coverage, Entry

QUARTERS = ((dt.date(2025, 4, 1), dt.date(2025, 6, 30)), (dt.date(2025, 1, 1), dt.date(2025, 3, 31)))
KPI_QUERIES = ("overview_customer_kpis", "overview_agent_kpis")


def full_coverage(first=dt.date(2025, 1, 1), last=dt.date(2025, 12, 31), **overrides) -> Coverage:
    """Every column of every table supplied over [first, last]; overrides: table -> Entry."""
    from dashboard.mapping import store_columns

    entries = {}
    for table, columns in store_columns().items():
        entries[(table, "*")] = overrides.get(table, Entry(True, 1000, first, last))
        for column in columns:
            entries[(table, column)] = Entry(True, 1000, first, last)
    return Coverage(entries)


def one_tile(kpi_id: str, now: dict, before: dict, cover: Coverage | None = None, periods=QUARTERS,
             min_n: int = 30, targets: dict | None = None) -> kpis.Tile:
    return kpis.tiles(now, before, targets or {}, 91, cover or full_coverage(), periods, min_n)[0]


# -- the rules, on the tile logic alone ---------------------------------------------------------

def test_one_answer_in_the_previous_period_is_not_a_comparison():
    tile = one_tile("csat", {"csat": 55.6, "csat_n": 9}, {"csat": 0.0, "csat_n": 1})
    assert tile.value == 55.6 and tile.delta is None
    assert tile.no_comparison == "the previous period rests on 1 answers, fewer than 30"
    assert tile.n_text() == "n = 9 answers"


def test_the_minimum_n_is_configurable(monkeypatch):
    now = {"enps": 10.0, "enps_n": 12, "enps_respondents": 12}
    before = {"enps": -5.0, "enps_n": 11, "enps_respondents": 11}
    assert one_tile("enps", now, before).delta is None
    monkeypatch.setenv("DASHBOARD_MIN_COMPARISON_N", "10")
    assert one_tile("enps", now, before, min_n=config.min_comparison_n()).delta == pytest.approx(15.0)
    monkeypatch.setenv("DASHBOARD_MIN_COMPARISON_N", "many")
    assert config.min_comparison_n() == config.DEFAULT_MIN_COMPARISON_N == 30


def test_a_previous_period_before_the_data_is_not_compared():
    cover = full_coverage(first=dt.date(2025, 2, 1))
    tile = one_tile("csat", {"csat": 80.0, "csat_n": 500}, {"csat": 70.0, "csat_n": 400}, cover)
    assert tile.delta is None
    assert tile.no_comparison == "the previous period starts 1 Jan 2025, before the data begins (1 Feb 2025)"


def test_a_period_past_the_end_of_the_data_is_not_compared():
    cover = full_coverage(last=dt.date(2025, 6, 15))
    tile = one_tile("asa", {"asa": 30.0, "asa_n": 500}, {"asa": 40.0, "asa_n": 500}, cover)
    assert tile.delta is None and "after the data ends (15 Jun 2025)" in tile.no_comparison


def test_a_change_inside_the_data_with_enough_n_is_shown():
    tile = one_tile("asa", {"asa": 30.0, "asa_n": 500}, {"asa": 40.0, "asa_n": 450})
    assert tile.delta == pytest.approx(-10.0) and tile.no_comparison is None
    assert tile.kpi.format_delta(tile.delta) == "-10 s" and not tile.delta_is_zero


@pytest.mark.parametrize("kpi_id, now, before, text", [
    ("csat", 80.04, 80.0, "0.0 pp"), ("asa", 30.2, 30.4, "0 s"), ("nps", 12.3, 12.1, "0 pts"),
    ("ces", 2.001, 2.0, "0.00"),
])
def test_a_zero_change_is_neutral(kpi_id, now, before, text):
    tile = one_tile(kpi_id, {kpi_id: now, f"{kpi_id}_n": 500}, {kpi_id: before, f"{kpi_id}_n": 500})
    assert tile.delta_is_zero
    assert tile.kpi.format_delta(tile.delta) == text   # no sign, and the page draws it grey


def test_no_data_is_never_met_or_missed():
    cover = full_coverage()
    cover.entries[("agents", "left_on")] = Entry(False, 0, None, None)
    tile = one_tile("attrition_annualised", {"attrition_annualised": 0.0, "attrition_annualised_n": 40},
                    {"attrition_annualised": 0.0, "attrition_annualised_n": 40}, cover,
                    targets={"attrition_annualised": 25.0})
    assert tile.value is None and tile.kpi.format(tile.value) == "no data"
    assert tile.meets_target is None and tile.delta is None and tile.n is None
    assert tile.no_data == "this store has no leaving dates (agents.left_on was not imported)"


def test_kpi_columns_need_their_counts():
    assert kpis.column_problem("csat", ["csat"]) == "kpi column 'csat' needs 'csat_n' beside it: the count the figure rests on"
    assert kpis.column_problem("csat_n", ["csat_n"]) == "'csat_n' counts a KPI the query does not return"
    assert kpis.column_problem("csat", ["csat", "csat_n"]) is None
    assert "not a known KPI" in kpis.column_problem("wow", ["wow"])


# -- every KPI on a real store that lacks its input ----------------------------------------------

HR_ONLY = "name,team,hired,left\nAnn,Desk,2024-01-10,\nBob,Desk,2024-02-01,2025-02-28\n"
HR_MAPPING = textwrap.dedent("""\
    tables:
      teams: {rows: distinct, columns: {team_name: team, site: {constant: HQ}, manager_name: {constant: M}}}
      agents:
        columns: {agent_name: name, team_name: team, hired_on: hired, left_on: left, authority_limit: {constant: 0}}
    """)


def _import(tmp_path_factory, name: str, csv_text: str, mapping_text: str):
    from conftest import import_text

    return import_text(tmp_path_factory.mktemp(name), name, csv_text, mapping_text)


@pytest.fixture(scope="module")
def bare_log_store(bare_log_store_path):
    return bare_log_store_path


@pytest.fixture(scope="module")
def hr_only_store(tmp_path_factory):
    return _import(tmp_path_factory, "hr", HR_ONLY, HR_MAPPING)


# KPI -> (store fixture lacking its input, words the reason must contain)
LACKING = {
    "csat": ("bare_log_store", "customer survey answers were imported"),
    "nps": ("pwc_store_path", "no NPS answers"),
    "ces": ("pwc_store_path", "no customer effort (CES) answers"),
    "asa": ("bare_log_store", "no waiting times"),
    "service_level": ("bare_log_store", "no waiting times"),
    "abandon_rate": ("hr_only_store", "no contacts (interactions or interval reports) were imported"),
    "aht": ("bare_log_store", "no handle times"),
    "fcr": ("bare_log_store", "no resolution field"),
    "escalation_rate": ("pwc_store_path", "no escalation levels"),
    "agent_satisfaction": ("pwc_store_path", "no agent survey answers were imported"),
    "enps": ("pwc_store_path", "no agent survey answers were imported"),
    "attrition_annualised": ("pwc_store_path", "no leaving dates"),
    "manager_response_72h": ("bare_log_store", "no agent requests to managers were imported"),
    "customer_churn": ("pwc_store_path", "no customer records were imported"),
}


def test_every_kpi_has_a_lacking_store():
    assert set(LACKING) == set(kpis.KPIS)


def _tiles_on(db, period: filters.Filters) -> dict[str, kpis.Tile]:
    cat = catalogue.load(config.queries_dir())
    out = {}
    with store.open_read_only(db) as con:
        cover = coverage.read(con)
        before = period.previous_period()
        for name in KPI_QUERIES:
            now = catalogue.execute(con, cat.get(name), period.as_params()).row(0, named=True)
            was = catalogue.execute(con, cat.get(name), before.as_params()).row(0, named=True)
            for tile in kpis.tiles(now, was, {k: 1.0 for k in kpis.KPIS}, period.days, cover,
                                   ((period.date_from, period.date_to), (before.date_from, before.date_to)), 30):
                out[tile.kpi.id] = (tile, now[tile.kpi.id])
    return out


@pytest.mark.parametrize("kpi_id", list(LACKING))
def test_a_kpi_without_its_input_is_no_data_in_sql_and_on_the_tile(kpi_id, request):
    fixture, words = LACKING[kpi_id]
    db = request.getfixturevalue(fixture)
    period = filters.Filters(dt.date(2021, 1, 1), dt.date(2021, 3, 31)) if fixture == "pwc_store_path" \
        else filters.Filters(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    tile, from_sql = _tiles_on(db, period)[kpi_id]
    assert from_sql is None, f"{kpi_id} is computed from an input the store lacks"
    assert tile.value is None and tile.kpi.format(tile.value) == "no data"
    assert words in tile.no_data
    assert tile.meets_target is None and tile.delta is None


def test_hr_only_store_has_a_true_attrition_and_no_contact_figures(hr_only_store):
    """Leaving dates imported: attrition is a figure (Bob left in February 2025), not no data."""
    tiles = _tiles_on(hr_only_store, filters.Filters(dt.date(2025, 1, 1), dt.date(2025, 3, 31)))
    attrition, _ = tiles["attrition_annualised"]
    # months: Jan (2 at start and end: 0 leavers), Feb (2 at start, 1 at end: 1 leaver), Mar (1, 1: 0)
    assert attrition.value == pytest.approx(100 * 12 * (0 / 2 + 1 / 1.5 + 0 / 1) / 3)
    assert attrition.n == pytest.approx((2 + 1.5 + 1) / 3)


def test_pwc_store_figures_keep_their_values_and_show_no_false_comparison(pwc_store_path):
    """The PwC export covers Jan-Mar 2021: the quarter before is outside the data."""
    tiles = _tiles_on(pwc_store_path, filters.Filters(dt.date(2021, 1, 1), dt.date(2021, 3, 31)))
    csat, _ = tiles["csat"]
    assert csat.value is not None and csat.n == 4054
    assert csat.no_comparison == "the previous period starts 3 Oct 2020, before the data begins (1 Jan 2021)"
    fcr, _ = tiles["fcr"]
    assert "customer ids to tell repeat contacts apart" in fcr.no_data


def test_overview_on_a_store_without_resolution_waits_and_leaving_dates_shows_no_zero(bare_log_store, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(bare_log_store))
    at = AppTest.from_file(str(config.ROOT / "dashboard" / "app.py"), default_timeout=90)
    at.query_params["from"], at.query_params["to"] = "2025-03-01", "2025-03-31"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    for kpi_id in ("fcr", "asa", "service_level", "aht", "attrition_annualised", "csat"):
        assert shown[kpis.KPIS[kpi_id].tile_label] == "no data", kpi_id
    assert not [v for v in shown.values() if v.startswith("0.0 %") or v == "0 %"], shown
    captions = [c.value for c in at.caption]
    assert "No data: this store has no resolution field (interactions.resolved was not imported); this store has " \
           "no customer ids to tell repeat contacts apart (interactions.customer_id was not imported)." in captions
    assert any(c.startswith("No data: this store has no leaving dates") for c in captions)
    assert shown["Abandon rate"] == "25.0 %"   # 1 of 4 offered: a real figure stays
    assert any(c.endswith("n = 4 offered") for c in captions)
