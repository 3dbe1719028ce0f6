"""Time to resolution by deciding level (escalations page) reads the resolution-time counts built at
publish (contact_resolutions, contact_resolution_totals, through filtered_resolutions) instead of every
contact: its figures equal those of the SQL it replaced, kept here as the independent computation and
run on the same store. Counts and the median and quartiles are compared exactly (the same doubles);
the mean to 1e-9 relative, since the previous SQL added up the contacts' hours in whatever order
DuckDB's threads took them, while the new one divides the exact sum of seconds. And the counts
themselves equal the contacts counted in plain Python."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dashboard import catalogue, config, coverage, filters, importer, mapping, rollups, scopes, store

NAME = "escalations_resolution_by_depth"

# The query's SQL as it was at commit 91ff51c, after its header: every resolved contact of the period.
PREVIOUS_SQL = """
with resolved_contacts as (
    select
        case when not exception_requested then -1 when exception_requested then escalation_depth end as depth_order,
        -- an unknown request flag or level is no level at all: null, left out of the chart and counted
        case
            when exception_requested is null then null
            when not exception_requested then 'No exception asked'
            when escalation_depth = 0 then '0 · agent'
            when escalation_depth = 1 then '1 · team lead'
            when escalation_depth = 2 then '2 · manager'
            when escalation_depth >= 3 then '3 · senior management'
        end as decided_by,
        resolution_s / 3600.0 as hours
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned and resolved and resolution_s is not null
)

select
    decided_by,
    count(*)                              as resolved_contacts,
    median(hours)                         as median_hours,
    quantile_cont(hours, 0.25)            as p25_hours,
    quantile_cont(hours, 0.75)            as p75_hours,
    avg(hours)                            as mean_hours,
    depth_order
from resolved_contacts
group by decided_by, depth_order
order by depth_order
"""

EXACT = ["decided_by", "resolved_contacts", "median_hours", "p25_hours", "p75_hours", "depth_order"]

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
ONE_MONTH = (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
MID_MONTH_TO_MID_MONTH = (dt.date(2025, 3, 5), dt.date(2025, 5, 20))   # partial first and last months
WITHIN_ONE_MONTH = (dt.date(2025, 7, 10), dt.date(2025, 7, 24))
ENDING_MID_MONTH = (dt.date(2025, 9, 1), dt.date(2025, 11, 12))
NO_DATA = (dt.date(2030, 1, 1), dt.date(2030, 1, 31))

DATA = Path(__file__).resolve().parent / "data"
MAPPINGS = Path(__file__).resolve().parent.parent / "data" / "mappings"


@pytest.fixture(scope="module")
def query() -> catalogue.Query:
    return catalogue.load(config.queries_dir()).get(NAME)


def previous(query: catalogue.Query) -> catalogue.Query:
    return catalogue.Query(**{**query.__dict__, "sql": PREVIOUS_SQL})


def values_of(period, **scope) -> dict:
    return {**filters.Filters(*period, **scope).as_params(), **catalogue.page_param_defaults()}


def first_of(con, sql: str):
    return con.cursor().sql(sql).fetchall()[0][0]


def assert_same_figures(con, query: catalogue.Query, values: dict) -> int:
    """The figures of the query and of its previous SQL, row by row in the query's order; the number of rows."""
    now = catalogue.execute(con, query, values)
    before = catalogue.execute(con, previous(query), values)
    assert now.columns == before.columns and now.dtypes == before.dtypes
    assert now.select(EXACT).rows() == before.select(EXACT).rows()
    for new_mean, old_mean in zip(now["mean_hours"], before["mean_hours"]):
        assert new_mean == pytest.approx(old_mean, rel=1e-9, abs=0)
    return now.height


def filter_cases(con) -> list[dict]:
    """Whole data, a month, a team, a site and month, a channel, a touchpoint, partial months, a period
    ending mid-month, one with no rows."""
    team = first_of(con, "select team_name from teams order by team_id limit 1")
    site = first_of(con, "select site from teams order by team_id desc limit 1")
    channel = first_of(con, "select min(channel) from interactions")
    touchpoint = first_of(con, "select touchpoint_name from touchpoints order by touchpoint_id limit 1")
    return [
        dict(period=YEAR), dict(period=ONE_MONTH), dict(period=YEAR, team=team), dict(period=ONE_MONTH, site=site),
        dict(period=YEAR, channel=channel), dict(period=YEAR, touchpoint=touchpoint),
        dict(period=MID_MONTH_TO_MID_MONTH), dict(period=MID_MONTH_TO_MID_MONTH, site=site, channel=channel),
        dict(period=WITHIN_ONE_MONTH, team=team), dict(period=ENDING_MID_MONTH),
        dict(period=ENDING_MID_MONTH, touchpoint=touchpoint), dict(period=NO_DATA),
    ]


def test_it_reads_the_rollup(query):
    assert "filtered_resolutions" in query.sql and "filtered_interactions" not in query.sql


def test_the_figures_equal_those_of_the_sql_it_replaced(con, query):
    heights = [assert_same_figures(con, query, values_of(**case)) for case in filter_cases(con)]
    assert heights[0] == 5 and heights[-1] == 0   # every level on the whole data; none in a period without data


def test_small_groups_give_the_same_quartiles(con, query):
    """Levels of one to a few contacts (every position's fraction: 0, 1/4, 1/2, 3/4) in short periods."""
    team = first_of(con, "select team_name from teams order by team_id limit 1")
    sizes = set()
    for day in range(1, 29):
        period = (dt.date(2025, 2, day), dt.date(2025, 2, day))
        assert_same_figures(con, query, values_of(period, team=team))
        sizes |= set(catalogue.execute(con, query, values_of(period, team=team))["resolved_contacts"])
    assert {1, 2, 3, 4, 5} <= sizes


# -- the counts themselves -----------------------------------------------------------------------------

def counts_from_the_contacts(con) -> tuple[Counter, Counter]:
    """contact_resolutions and contact_resolution_totals counted in plain Python from the contacts."""
    cells, totals = Counter(), Counter()
    rows = con.cursor().sql("select queued_at, team_id, channel, touchpoint_id, exception_requested, "
                            "escalation_depth, resolution_s, abandoned, resolved from interactions").fetchall()
    for queued_at, team_id, channel, touchpoint_id, requested, depth, seconds, abandoned, resolved in rows:
        if abandoned is False and resolved is True and seconds is not None:
            month = dt.date(queued_at.year, queued_at.month, 1)
            cells[(month, team_id, channel, touchpoint_id, requested, depth, seconds)] += 1
            totals[(month, requested, depth, seconds)] += 1
    return cells, totals


def assert_counts_equal_the_contacts(con) -> None:
    cells, totals = counts_from_the_contacts(con)
    held_cells = con.cursor().sql("select month, team_id, channel, touchpoint_id, exception_requested, "
                                  "escalation_depth, resolution_s, contacts from contact_resolutions").fetchall()
    held_totals = con.cursor().sql("select month, exception_requested, escalation_depth, resolution_s, contacts "
                                   "from contact_resolution_totals").fetchall()
    assert len(held_cells) == len(cells) > 0 and len(held_totals) == len(totals)
    assert {row[:-1]: row[-1] for row in held_cells} == cells
    assert {row[:-1]: row[-1] for row in held_totals} == totals


def test_the_counts_equal_the_contacts(con):
    assert_counts_equal_the_contacts(con)


# -- stores with unknowns, ties, a mid-month end, interval reports, imports -------------------------

@pytest.fixture(scope="module")
def store_with_unknowns(store_path, tmp_path_factory):
    """The test store with unknown request flags, unknown levels (both make one null level), unknown
    resolution and resolution times and a few identical times across months, rebuilt as a publish would."""
    path = tmp_path_factory.mktemp("unknowns") / "unknowns.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("update interactions set exception_requested = null where interaction_id % 13 = 0")
        connection.execute("update interactions set escalation_depth = null "
                           "where exception_requested and interaction_id % 17 = 0")
        connection.execute("update interactions set resolved = null where interaction_id % 19 = 0")
        connection.execute("update interactions set resolution_s = null where interaction_id % 23 = 0")
        connection.execute("update interactions set resolution_s = 3600 where interaction_id % 29 = 0")
        rollups.build(connection)
        coverage.record(connection)
    connection = store.open_read_only(path)
    yield connection
    connection.close()


def test_unknowns_count_as_before(store_with_unknowns, query):
    con = store_with_unknowns
    assert_counts_equal_the_contacts(con)
    for case in filter_cases(con):
        assert_same_figures(con, query, values_of(**case))
    # the store does hold one null level made of both kinds of unknown
    frame = catalogue.execute(con, query, values_of(YEAR))
    assert frame.filter(pl.col("decided_by").is_null())["resolved_contacts"].to_list() == [first_of(con, """
        select count(*) from interactions
        where not abandoned and resolved and resolution_s is not null
          and (exception_requested is null or (exception_requested and escalation_depth is null))""")]
    assert first_of(con, "select count(*) from interactions where exception_requested and escalation_depth is null "
                         "and not abandoned and resolved and resolution_s is not null") > 0


@pytest.mark.parametrize("period", [(dt.date(2025, 10, 1), dt.date(2025, 12, 15)),
                                    (dt.date(2025, 10, 1), dt.date(2025, 12, 20)),
                                    (dt.date(2025, 10, 1), dt.date(2025, 12, 10)),
                                    (dt.date(2025, 12, 3), dt.date(2025, 12, 15))])
def test_a_period_ending_on_or_after_the_last_day_of_data_gives_the_contacts_figures(
        store_ending_mid_month, query, period):
    assert assert_same_figures(store_ending_mid_month, query, values_of(period)) == 5


def test_a_store_of_interval_reports_has_no_resolution_counts(store_path, tmp_path_factory):
    """Interval counts hold no single resolution times: the counts stay empty, and the figure says it
    needs a per-contact log."""
    path = tmp_path_factory.mktemp("intervals_only") / "intervals.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("delete from customer_surveys")
        connection.execute("delete from interactions")
        rollups.build(connection)
        coverage.record(connection)
        assert first_of(connection, "select count(*) from contact_intervals") > 0
        assert first_of(connection, "select count(*) from contact_resolutions") == 0
        assert first_of(connection, "select count(*) from contact_resolution_totals") == 0
        held = coverage.read(connection)
    needs = catalogue.load(config.queries_dir()).get(NAME).needs
    assert held.reasons(needs)[0] == coverage.INTERVALS_ONLY


@pytest.mark.parametrize("sample, mapping_file", [("support_tickets.csv", "support_tickets.yaml"),
                                                  ("incident_events.csv", "incident_event_log.yaml")])
def test_an_imported_sample_gives_the_figures_of_the_sql_it_replaced(tmp_path_factory, query, sample, mapping_file):
    db = tmp_path_factory.mktemp(Path(sample).stem) / "store.duckdb"
    importer.run([DATA / sample], mapping.load(MAPPINGS / mapping_file), db)
    con = store.open_read_only(db)
    try:
        assert_counts_equal_the_contacts(con)
        first, last = first_of(con, "select min(queued_at)::date from interactions"), first_of(
            con, "select max(queued_at)::date from interactions")
        middle = first + (last - first) / 2
        periods = [(first, last), (first, middle), (middle, last), (first + dt.timedelta(days=3), middle)]
        heights = [assert_same_figures(con, query, values_of(period)) for period in periods]
        assert heights[0] > 0
    finally:
        con.close()


# -- scopes ----------------------------------------------------------------------------------------------

def test_a_team_scope_keeps_its_own_counts_and_totals(store_path, con):
    team_id, team = con.cursor().sql("select team_id, team_name from teams order by team_id limit 1").fetchall()[0]
    scoped = store.open_read_only(scopes.store_for(store_path, scopes.Scope(teams=frozenset({team})), "pages"))
    try:
        assert sorted(scoped.cursor().sql("select * from contact_resolutions").fetchall(), key=repr) == sorted(
            con.cursor().sql("select * from contact_resolutions where team_id = $t", params={"t": team_id}).fetchall(),
            key=repr)
        totals = Counter()
        for month, _, _, _, requested, depth, seconds, contacts in scoped.cursor().sql(
                "select * from contact_resolutions").fetchall():
            totals[(month, requested, depth, seconds)] += contacts
        held = scoped.cursor().sql("select * from contact_resolution_totals").fetchall()
        assert {row[:-1]: row[-1] for row in held} == totals and len(held) == len(totals) > 0
    finally:
        scoped.close()
