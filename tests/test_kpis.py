"""Every KPI the app's SQL computes equals the same KPI computed independently in plain Python
from the raw rows (tests/reference_kpis.py), for several filter scopes."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from reference_kpis import compute_kpis

from dashboard import catalogue, config, filters, kpis

SCOPES = {
    "whole year": dict(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31)),
    "spring": dict(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 5, 31)),
    "one team": dict(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 5, 31), team="Cedar"),
    "site and channel": dict(date_from=dt.date(2025, 7, 1), date_to=dt.date(2025, 9, 30), site="Cork", channel="phone"),
    "touchpoint, one week": dict(date_from=dt.date(2025, 6, 2), date_to=dt.date(2025, 6, 8), touchpoint="Complaint"),
    "before the data": dict(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 3, 31)),
}
KPI_QUERIES = ("overview_customer_kpis", "overview_agent_kpis")


def app_kpis(con, chosen: filters.Filters) -> dict:
    cat = catalogue.load(config.queries_dir())
    out = {}
    for name in KPI_QUERIES:
        out.update(catalogue.execute(con, cat.get(name), chosen.as_params()).row(0, named=True))
    return out


def kpi_values(row: dict) -> dict:
    """The KPI columns of the kpi queries' rows, without the <kpi>_n counts beside them."""
    return {k: v for k, v in row.items() if k in kpis.KPIS}


@pytest.mark.parametrize("scope", SCOPES, ids=list(SCOPES))
def test_sql_kpis_equal_python_reference(con, raw, scope):
    chosen = filters.Filters(**SCOPES[scope])
    from_sql = kpi_values(app_kpis(con, chosen))
    expected = compute_kpis(raw, **SCOPES[scope])
    assert set(from_sql) == set(kpis.KPIS), "every KPI of DESIGN section 4 has a tile"
    for kpi_id, value in from_sql.items():
        want = expected[kpi_id]
        if want is None:
            assert value is None or math.isnan(value), kpi_id
        else:
            assert value == pytest.approx(want, rel=1e-9, abs=1e-9), kpi_id


def test_scopes_are_not_trivial(raw):
    """The comparison means something only if the scopes hold data and differ."""
    whole = compute_kpis(raw, **SCOPES["whole year"])
    team = compute_kpis(raw, **SCOPES["one team"])
    assert all(v is not None for v in whole.values())
    assert whole["csat"] != team["csat"] and whole["asa"] != team["asa"]
    before = compute_kpis(raw, **SCOPES["before the data"])
    contact_kpis = ("csat", "nps", "ces", "asa", "service_level", "abandon_rate", "aht", "fcr", "escalation_rate")
    assert all(before[k] is None for k in contact_kpis)
    assert before["customer_churn"] == 0  # customers existed in 2024; none churned


def test_service_level_worked_example(tmp_path):
    """DESIGN section 4's example through the app's own query on a store holding exactly it:
    answered 1000 (860 within 20 s), abandoned 60 (40 after 20 s): 860 / 1040 = 82.7 %."""
    import duckdb

    from dashboard import coverage, rollups, store

    path = tmp_path / "example.duckdb"
    with duckdb.connect(str(path)) as con:
        store.create_schema(con)
        con.execute("insert into teams values (1, 'Solo', 'Here', 'M', 1)")
        con.execute("insert into touchpoints values (1, 'Call', 'Unit', 'Answered within 20 s', 20, 'wait_s')")
        waits = [(False, 5)] * 860 + [(False, 40)] * 140 + [(True, 5)] * 20 + [(True, 50)] * 40
        con.executemany(
            "insert into interactions (interaction_id, team_id, touchpoint_id, channel, queued_at, wait_s, abandoned)"
            " values (?, 1, 1, 'phone', timestamp '2025-03-03 10:00:00', ?, ?)",
            [(i, wait, abandoned) for i, (abandoned, wait) in enumerate(waits)])
        rollups.build(con)   # as every publish does
        coverage.record(con)
    with store.open_read_only(path) as con:
        query = catalogue.load(config.queries_dir()).get("overview_customer_kpis")
        row = catalogue.execute(con, query, filters.Filters(dt.date(2025, 3, 1), dt.date(2025, 3, 31)).as_params()).row(0, named=True)
    assert row["service_level"] == pytest.approx(100 * 860 / 1040)
    assert round(row["service_level"], 1) == 82.7
    assert row["abandon_rate"] == pytest.approx(100 * 60 / 1060)


@pytest.mark.parametrize("scope", ["spring", "site and channel"])
def test_each_kpi_carries_the_count_it_rests_on(con, raw, scope):
    """<kpi>_n is the count behind the figure, counted here from the raw rows."""
    bounds = SCOPES[scope]
    chosen = filters.Filters(**bounds)
    row = app_kpis(con, chosen)
    assert all(f"{k}_n" in row for k in kpis.KPIS)
    teams = {t["team_id"]: t for t in raw.teams}
    scoped = [r for r in raw.interactions
              if bounds["date_from"] <= r["queued_at"].date() <= bounds["date_to"]
              and (chosen.site is None or teams[r["team_id"]]["site"] == chosen.site)
              and (chosen.channel is None or r["channel"] == chosen.channel)]
    ids = {r["interaction_id"] for r in scoped}
    answered = [r for r in scoped if not r["abandoned"]]
    assert row["abandon_rate_n"] == len(scoped)
    assert row["asa_n"] == sum(r["wait_s"] is not None for r in answered)
    assert row["csat_n"] == sum(s["csat"] is not None for s in raw.customer_surveys if s["interaction_id"] in ids)
    assert row["service_level_n"] == len(answered) + sum(r["abandoned"] and r["wait_s"] > 20 for r in scoped)
