"""The page queries that never look at an agent read contact_months summed over agents (contact_team_months,
with contact_team_days for a period's partial first and last months; data/schema.sql) through
filtered_team_months, instead of the agent-grain rollup through filtered_contact_months (issue 13: a
fifteenth of the rows, and no contact scan to plan). Their figures are those of the SQL they replaced, run
on the same store at twelve filters (whole and partial months, a period starting mid-month, scopes), on the
demo, a store ending mid-month, two imported samples and a scope's stores; and the new rollups hold the
contacts' own sums, counted here in plain Python from the raw rows. The mirror's levers query, whose
per-lever union became one select over the levers (a smaller plan), is checked the same way."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from conftest import rows
from test_rollup_months import PREVIOUS_SQL as PREVIOUS_ROLLUP_SQL
from polars.testing import assert_frame_equal

from dashboard import catalogue, filters, importer, mapping, scopes, store

# The queries rewritten to read the team grain. Each file's SQL reads filtered_team_months where it read
# filtered_contact_months (the comments naming the rollup aside), and nothing else changed but the parts in
# PREVIOUS_PARTS, so the previous SQL is the file with those put back; tests/test_rollup_months.py also
# keeps each one's SQL from before any rollup, reading every contact, and checks them against it.
TEAM_GRAIN = (
    "customer_vs_agent_team_months", "customer_vs_agent_mirror", "escalations_depth_distribution",
    "escalations_csat_by_depth", "escalations_fcr_by_depth", "escalations_rate_by_authority",
    "escalations_level_by_team", "escalations_level_by_month", "management_training_buckets",
    "management_training_team_months",
)

# customer_vs_agent_levers' lever_values before it became one select over the levers (commit 84bc95f): a
# union of one select per lever, as test_rollup_months keeps it in the query's previous SQL; the rest of the
# query is unchanged
LEVERS = "customer_vs_agent_levers"
_LEVERS_BEFORE = PREVIOUS_ROLLUP_SQL[LEVERS]
PREVIOUS_LEVER_VALUES = _LEVERS_BEFORE[_LEVERS_BEFORE.index("-- one row per agent and lever"):
                                       _LEVERS_BEFORE.index("-- the finest split whose every band holds")]

# escalations_rate_by_authority's requests of a month whose limit changed after its first day, before they
# were read from contact_team_days (commit 84bc95f): from the contacts
PREVIOUS_CHANGE_MONTH = """
exceptions_in_change_month as (
    -- read from the earliest such change on (none: nothing), so no other contact is read
    select i.team_id, i.team_name, i.site, i.escalation_depth, 1 as contacts
    from filtered_interactions(
        (select coalesce(min(since), date '9999-12-31') from changes_after_a_month_began), $date_to,
        $site, $team, $channel, $touchpoint) as i
    join changes_after_a_month_began as f using (team_id)
    where not i.abandoned
      and i.exception_requested
      and i.queued_at >= f.since
      and i.queued_at < date_trunc('month', f.since) + interval 1 month
),

"""

# the parts of a query file replaced by the previous text, each between two markers of the file:
# name -> (start, end, previous text)
PREVIOUS_PARTS = {
    LEVERS: ("-- one row per agent and lever: the value that ranks the agent",
             "-- the finest split whose every band holds", PREVIOUS_LEVER_VALUES),
    "escalations_rate_by_authority": ("exceptions_in_change_month as (", "by_team as (", PREVIOUS_CHANGE_MONTH),
}

DATA = Path(__file__).resolve().parent / "data"
MAPPINGS = Path(__file__).resolve().parent.parent / "data" / "mappings"


def previous(query: catalogue.Query) -> catalogue.Query:
    """The query with its previous SQL: the same header and parameters, the replaced part put back, then
    filtered_contact_months for filtered_team_months."""
    sql = query.sql
    if query.name in PREVIOUS_PARTS:
        start_marker, end_marker, text = PREVIOUS_PARTS[query.name]
        start, end = sql.index(start_marker), sql.index(end_marker)
        assert text.strip() != sql[start:end].strip(), query.name
        sql = sql[:start] + text.lstrip("\n") + sql[end:]
    if query.name in TEAM_GRAIN:
        assert "filtered_team_months" in sql and "filtered_contact_months" not in sql, query.name
        sql = sql.replace("filtered_team_months", "filtered_contact_months")
    return catalogue.Query(**{**query.__dict__, "sql": sql})


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    # rows the SQL orders only partly (ties) may come in either order: compare them sorted
    return frame.sort(frame.columns, nulls_last=True)


def cases(con) -> dict[str, dict]:
    """Twelve filters over whole, partial and empty periods of the store's data."""
    (first, last), = rows(con, "select min(queued_at)::date, max(queued_at)::date from interactions")
    team, site = rows(con, "select team_name, site from teams where team_id = (select min(team_id) from interactions)")[0]
    channel, = rows(con, "select min(channel) from interactions")[0]
    touchpoint, = rows(con, "select min(touchpoint_name) from interactions join touchpoints using (touchpoint_id)")[0]
    middle = first + (last - first) / 2
    month_start = middle.replace(day=1)
    month = (month_start, (month_start + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1))
    quarter_end = (month_start + dt.timedelta(days=92)).replace(day=1) - dt.timedelta(days=1)
    mid_start = month_start + dt.timedelta(days=12)
    return {
        "the whole data": dict(period=(first, last)),
        "a month": dict(period=month),
        "three months": dict(period=(month_start, quarter_end)),
        "starting mid-month": dict(period=(mid_start, quarter_end)),
        "mid-month to mid-month": dict(period=(mid_start, quarter_end - dt.timedelta(days=9))),
        "within one month": dict(period=(mid_start, mid_start + dt.timedelta(days=9))),
        "a day": dict(period=(middle, middle)),
        "one team, starting mid-month": dict(period=(mid_start, last), team=team),
        "one site, a month": dict(period=month, site=site),
        "one channel, mid-month to mid-month": dict(period=(mid_start, quarter_end - dt.timedelta(days=9)),
                                                    channel=channel),
        "site, team, channel and touchpoint": dict(period=(first, middle), site=site, team=team, channel=channel,
                                                   touchpoint=touchpoint),
        "from before to after the data": dict(period=(first - dt.timedelta(days=40), last + dt.timedelta(days=40))),
    }


def values_of(period, **scope) -> dict:
    return {**filters.Filters(*period, **scope).as_params(), **catalogue.page_param_defaults()}


def assert_same_figures_everywhere(con, queries, names=(*TEAM_GRAIN, LEVERS)) -> dict[str, int]:
    """Every rewritten query against its previous SQL at every case; the rows each gave, summed."""
    heights: Counter = Counter()
    for name in names:
        query = queries.get(name)
        for label, case in cases(con).items():
            values = values_of(**case)
            now = catalogue.execute(con, query, values)
            before = catalogue.execute(con, previous(query), values)
            assert now.columns == before.columns, (name, label)
            try:
                assert_frame_equal(canonical(now), canonical(before), check_exact=True)
            except AssertionError as exc:
                raise AssertionError(f"{name}, {label}: {exc}") from None
            heights[name] += now.height
    return heights


KEY = ("team_id", "channel", "touchpoint_id", "abandoned", "exception_requested", "escalation_depth")


def team_days_from_the_contacts(con) -> dict[tuple, tuple]:
    """contact_team_days' counts per day and key, counted in Python from `select *` of the contacts and
    answers: contacts, answered-contact resolution, surveyed contacts, answers and CSAT answers of 4-5."""
    answers: dict[int, list] = {}
    for interaction_id, csat in rows(con, "select interaction_id, csat from customer_surveys"):
        answers.setdefault(interaction_id, []).append(csat)
    names = [d[0] for d in con.cursor().execute("select * from interactions limit 0").description]
    counts: dict[tuple, list[int]] = {}
    for contact in rows(con, "select * from interactions"):
        c = dict(zip(names, contact))
        held = counts.setdefault((c["queued_at"].date(), *(c[k] for k in KEY)), [0, 0, 0, 0, 0, 0])
        mine = answers.get(c["interaction_id"], [])
        held[0] += 1
        held[1] += c["resolved"] is not None
        held[2] += bool(c["resolved"]) and c["repeat_within_7d"] is False
        held[3] += bool(mine)
        held[4] += len(mine)
        held[5] += sum(1 for csat in mine if csat is not None and csat >= 4)
    return {key: tuple(value) for key, value in counts.items()}


def assert_rollups_hold_the_contacts_sums(con) -> None:
    held = {row[:7]: row[7:] for row in rows(con, f"""
        select day, {', '.join(KEY)}, contacts, resolution_known, first_contact_resolved, surveyed, survey_answers,
               csat_satisfied
        from contact_team_days""")}
    assert held == team_days_from_the_contacts(con) != {}
    # the months are the days summed, every column, and contact_months summed over agents
    keys = ", ".join(f"'{k}'" for k in KEY)
    for other in ("contact_team_months", "contact_months"):
        differing = rows(con, f"""
            with days as (
                select date_trunc('month', day)::date as month, {', '.join(KEY)},
                       sum(columns(* exclude (day, {', '.join(KEY)})))
                from contact_team_days group by all
            ),
            months as (
                select month, {', '.join(KEY)}, sum(columns(lambda c: c not in ('month', 'agent_id', {keys})))
                from {other}
                group by all
            )
            select (select count(*) from (from days except all from months))
                 + (select count(*) from (from months except all from days)),
                   (select count(*) from days)""")
        assert differing[0][0] == 0 and differing[0][1] > 0, other


def test_the_team_rollups_hold_the_contacts_sums(con):
    assert_rollups_hold_the_contacts_sums(con)
    assert rows(con, "select count(*) from contact_team_months")[0][0] * 2 < rows(
        con, "select count(*) from contact_months")[0][0]   # what makes it worth having


def test_the_team_rollups_are_in_time_order(con):
    """A period filter reads only its own rows (DuckDB skips row groups by their min-max)."""
    for table, column in (("contact_team_months", "month"), ("contact_team_days", "day")):
        held = [value for (value,) in rows(con, f"select {column} from {table}")]
        assert held == sorted(held), table


def test_rewritten_queries_give_the_figures_of_the_sql_they_replaced(con, queries):
    heights = assert_same_figures_everywhere(con, queries)
    assert all(heights[name] > 0 for name in (*TEAM_GRAIN, LEVERS)), heights


def test_a_store_ending_mid_month_gives_the_same_figures(store_ending_mid_month, queries):
    assert_rollups_hold_the_contacts_sums(store_ending_mid_month)
    assert_same_figures_everywhere(store_ending_mid_month, queries)


@pytest.mark.parametrize("sample, mapping_file", [("support_tickets.csv", "support_tickets.yaml"),
                                                  ("incident_events.csv", "incident_event_log.yaml")])
def test_an_imported_sample_gives_the_figures_of_the_sql_it_replaced(tmp_path_factory, queries, sample,
                                                                     mapping_file):
    db = tmp_path_factory.mktemp(Path(sample).stem) / "store.duckdb"
    importer.run([DATA / sample], mapping.load(MAPPINGS / mapping_file), db)
    con = store.open_read_only(db)
    try:
        assert_rollups_hold_the_contacts_sums(con)
        heights = assert_same_figures_everywhere(con, queries)
        assert sum(heights.values()) > 0
    finally:
        con.close()


@pytest.mark.parametrize("purpose", ["pages", "lab"])
def test_a_scope_store_keeps_its_teams_rows_and_the_same_figures(store_path, con, queries, purpose):
    team_id, team = rows(con, "select team_id, team_name from teams order by team_id limit 1")[0]
    derived = store.open_read_only(scopes.store_for(store_path, scopes.Scope(teams=frozenset({team})), purpose))
    try:
        for table in ("contact_team_months", "contact_team_days"):
            held = rows(derived, f"select * from {table} order by all")
            assert held == rows(con, f"select * from {table} where team_id = $t order by all", {"t": team_id}) != []
        # the lab's store has no agent survey answers, only their groups (data/lab_schema.sql)
        names = [name for name in (*TEAM_GRAIN, LEVERS)
                 if purpose == "pages" or "agent_surveys" not in queries.get(name).sql]
        assert names
        assert_same_figures_everywhere(derived, queries, names)
    finally:
        derived.close()


def test_an_interval_report_store_has_empty_team_rollups(store_path, tmp_path_factory):
    import shutil

    import duckdb

    from dashboard import coverage, rollups
    path = tmp_path_factory.mktemp("intervals_only") / "intervals.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("delete from customer_surveys")
        connection.execute("delete from interactions")
        rollups.build(connection)
        coverage.record(connection)
        assert rows(connection, "select (select count(*) from contact_team_months), "
                                "(select count(*) from contact_team_days)") == [(0, 0)]


def test_a_limit_changed_mid_month_gives_the_same_escalation_rates(store_path, tmp_path_factory, queries):
    """Every team's authority limit last changed on 17 July (the demo changes it on a month's first day):
    July's requests from the 17th on come from contact_team_days, as they came from the contacts."""
    import shutil

    import duckdb
    path = tmp_path_factory.mktemp("mid_limit") / "mid_limit.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("delete from events where category = 'empowerment'")
        connection.execute("insert into events (event_id, starts_on, category, team_id, title) "
                           "select (select max(event_id) from events) + team_id, date '2025-07-17', "
                           "'empowerment', team_id, 'New limit' from teams")
    con = store.open_read_only(path)
    try:
        heights = assert_same_figures_everywhere(con, queries, ["escalations_rate_by_authority"])
        assert heights["escalations_rate_by_authority"] > 0
        july = catalogue.execute(con, queries.get("escalations_rate_by_authority"),
                                 values_of((dt.date(2025, 7, 1), dt.date(2025, 7, 31))))
        assert july["exception_requests"].sum() == rows(con, """
            select count(escalation_depth) from interactions
            where not abandoned and exception_requested
              and queued_at >= date '2025-07-17' and queued_at < date '2025-08-01'""")[0][0] > 0
    finally:
        con.close()
