"""The KPI layer at interval grain (data/schema.sql `contact_intervals`, dashboard/rollups.py) holds
exactly the contacts' sums: every row equals the contacts of its interval, team, channel and
touchpoint counted in plain Python from the raw rows, and every overview KPI read from it equals the
same KPI computed straight from the contacts, on the demo and on each imported sample, at several
filters."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import pytest
from conftest import OVERVIEW_FROM_CONTACTS, ROOT

from dashboard import catalogue, config, coverage, filters, importer, mapping, rollups, store

SAMPLES = {   # shipped mapping -> sample exports of tests/data
    "pwc_call_centre": ["pwc_call_centre_trends.csv"],
    "acd_call_log": ["acd_calls.tsv"],
    "incident_event_log": ["incident_events.csv"],
    "support_tickets": ["support_tickets.csv"],
    "baltimore_311": ["baltimore_311_sample.csv"],
}
COUNTS = [c for c in rollups.INTERVAL_SOURCES] + ["offered"]


@pytest.fixture(scope="module", params=["demo", *SAMPLES])
def any_store(request, store_path, tmp_path_factory):
    if request.param == "demo":
        return request.param, store_path
    db = tmp_path_factory.mktemp(request.param) / "store.duckdb"
    importer.run([ROOT / "tests" / "data" / f for f in SAMPLES[request.param]],
                 mapping.load(ROOT / "data" / "mappings" / f"{request.param}.yaml"), db)
    return request.param, db


def rows_of(con, sql: str) -> list[dict]:
    cursor = con.cursor()
    try:
        result = cursor.execute(sql)
        names = [d[0] for d in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]
    finally:
        cursor.close()


def interval_of(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=moment.minute - moment.minute % 30, second=0, microsecond=0)


def expected_intervals(con) -> dict[tuple, dict[str, int]]:
    """contact_intervals computed in Python from `select *` of the contacts, surveys and touchpoints."""
    sla = {t["touchpoint_id"]: (t["sla_measure"], t["sla_seconds"]) for t in rows_of(con, "select * from touchpoints")}
    answers = defaultdict(list)
    for s in rows_of(con, "select * from customer_surveys"):
        answers[s["interaction_id"]].append(s)
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in rows_of(con, "select * from interactions"):
        row = out[(interval_of(c["queued_at"]), c["team_id"], c["channel"], c["touchpoint_id"])]
        answered, wait, handle = not c["abandoned"], c["wait_s"], c["handle_s"]
        row["offered"] += 1
        row["abandoned"] += c["abandoned"]
        row["answered"] += answered
        row["answered_with_wait"] += answered and wait is not None
        row["answered_wait_s"] += wait if answered and wait is not None else 0
        row["answered_within_20s"] += answered and wait is not None and wait <= 20
        row["abandoned_after_20s"] += c["abandoned"] and wait is not None and wait > 20
        row["abandoned_with_wait"] += c["abandoned"] and wait is not None
        row["abandoned_wait_s"] += wait if c["abandoned"] and wait is not None else 0
        row["handled"] += answered and handle is not None
        row["handle_s"] += handle if answered and handle is not None else 0
        row["resolution_known"] += answered and c["resolved"] is not None
        row["first_contact_resolved"] += answered and bool(c["resolved"]) and c["repeat_within_7d"] is False
        row["depth_recorded"] += answered and c["escalation_depth"] is not None
        row["escalated"] += answered and (c["escalation_depth"] or 0) > 0
        measure, seconds = sla[c["touchpoint_id"]]
        if measure == "wait_s":
            row["wait_sla_judged"] += c["abandoned"] or wait is not None
            row["wait_sla_met"] += answered and wait is not None and wait <= seconds
        else:
            resolved, took = c["resolved"], c["resolution_s"]
            row["resolution_sla_judged"] += c["abandoned"] or resolved is False or took is not None
            row["resolution_sla_met"] += answered and bool(resolved) and took is not None and took <= seconds
        for s in answers[c["interaction_id"]]:
            row["csat_answers"] += s["csat"] is not None
            row["csat_satisfied"] += s["csat"] is not None and s["csat"] >= 4
            row["nps_answers"] += s["nps"] is not None
            row["promoters"] += s["nps"] is not None and s["nps"] >= 9
            row["detractors"] += s["nps"] is not None and s["nps"] <= 6
            row["ces_answers"] += s["ces"] is not None
            row["ces_sum"] += s["ces"] or 0
    return out


def test_every_interval_row_holds_its_contacts_sums(any_store):
    name, db = any_store
    with store.open_read_only(db) as con:
        want = expected_intervals(con)
        got = {(r["interval_start"], r["team_id"], r["channel"], r["touchpoint_id"]): r
               for r in rows_of(con, "select * from contact_intervals")}
    assert want, f"{name}: the sample holds contacts"
    assert set(got) == set(want), f"{name}: one interval row per interval, team, channel and touchpoint with contacts"
    for key, counts in want.items():
        for column in COUNTS:
            assert got[key][column] == counts[column], (name, key, column)


def test_the_day_rollup_sums_the_intervals(any_store):
    name, db = any_store
    with store.open_read_only(db) as con:
        want: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for r in rows_of(con, "select * from contact_intervals"):
            day = want[(r["interval_start"].date(), r["team_id"], r["channel"], r["touchpoint_id"])]
            for column in COUNTS:
                day[column] += r[column]
        got = {(r["day"], r["team_id"], r["channel"], r["touchpoint_id"]): r
               for r in rows_of(con, "select * from contact_days")}
    assert set(got) == set(want), name
    for key, counts in want.items():
        assert {c: got[key][c] for c in COUNTS} == dict(counts), (name, key)


def some_filters(con) -> dict[str, filters.Filters]:
    """The whole data, a month inside it, and its first team, site, channel and touchpoint."""
    first, last = coverage.read(con).period("interactions")
    month_start = first.replace(day=1) + dt.timedelta(days=32)
    month = filters.Filters(month_start.replace(day=1), min(last, (month_start + dt.timedelta(days=31)).replace(day=1)
                                                             - dt.timedelta(days=1)))
    pick = {column: rows_of(con, f"select min({column}) as v from filtered_interactions("   # trusted: constants
                                 f"date '1900-01-01', date '2100-01-01', null, null, null, null)")[0]["v"]
            for column in ("team_name", "site", "channel", "touchpoint_name")}
    return {
        "whole data": filters.Filters(first, last),
        "a month": month,
        "one team": filters.Filters(first, last, team=pick["team_name"]),
        "one site, one month": filters.Filters(month.date_from, month.date_to, site=pick["site"]),
        "one channel": filters.Filters(first, last, channel=pick["channel"]),
        "one touchpoint": filters.Filters(first, last, touchpoint=pick["touchpoint_name"]),
        "a day": filters.Filters(first + dt.timedelta(days=3), first + dt.timedelta(days=3)),
    }


def test_overview_kpis_from_intervals_equal_those_from_contacts(any_store):
    name, db = any_store
    query = catalogue.load(config.queries_dir()).get("overview_customer_kpis")
    with store.open_read_only(db) as con:
        for label, chosen in some_filters(con).items():
            params = chosen.as_params()
            from_intervals = catalogue.execute(con, query, params).row(0, named=True)
            from_contacts = store.run(con, OVERVIEW_FROM_CONTACTS, params).row(0, named=True)
            assert set(from_intervals) == set(from_contacts)
            for column, want in from_contacts.items():
                got = from_intervals[column]
                if want is None or (isinstance(want, float) and math.isnan(want)):
                    assert got is None, (name, label, column)
                else:
                    assert got == pytest.approx(want, rel=1e-9, abs=1e-9), (name, label, column)


def test_the_filters_are_not_trivial(store_path):
    """The comparison means something: the demo's filters hold different numbers of contacts."""
    with store.open_read_only(store_path) as con:
        offered = {label: store.run(con, OVERVIEW_FROM_CONTACTS, chosen.as_params())["abandon_rate_n"][0]
                   for label, chosen in some_filters(con).items()}
    assert all(n > 0 for n in offered.values()), offered
    assert len(set(offered.values())) == len(offered), offered


def test_a_store_without_contacts_keeps_the_interval_rows_it_was_given(tmp_path):
    """rollups.build rebuilds from contacts only when there are contacts: imported interval rows stay."""
    import duckdb

    with duckdb.connect(str(tmp_path / "intervals.duckdb")) as con:
        store.create_schema(con)
        con.execute("insert into teams values (1, 'Solo', 'Here', 'M', 1)")
        con.execute("insert into touchpoints values (1, 'Call', 'Unit', '20 s', 20, 'wait_s')")
        con.execute("insert into contact_intervals (interval_start, team_id, channel, touchpoint_id, offered) "
                    "values (timestamp '2025-03-03 10:00', 1, 'phone', 1, 42)")
        rollups.build(con)
        assert con.execute("select sum(offered) from contact_intervals").fetchone()[0] == 42
        con.execute("insert into interactions (interaction_id, team_id, touchpoint_id, channel, queued_at, abandoned) "
                    "values (1, 1, 1, 'phone', timestamp '2025-03-03 10:10', false)")
        rollups.build(con)
        assert con.execute("select sum(offered) from contact_intervals").fetchone()[0] == 1


def test_the_day_rollup_has_the_interval_columns(con):
    """contact_days is contact_intervals with a day for a start: the schema declares both."""
    columns = {table: [n for (n,) in con.execute(
        "select column_name from duckdb_columns() where table_name = $t order by column_index", {"t": table}).fetchall()]
        for table in ("contact_intervals", "contact_days")}
    assert columns["contact_days"] == ["day", *columns["contact_intervals"][1:]]
