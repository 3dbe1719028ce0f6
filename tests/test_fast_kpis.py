"""The rollups for churn counts, hours and the what-if (data/schema.sql): customer churn's counts per joining and churn day, for the whole
company and per team (customer_span_counts, customer_team_span_counts, read through customer_churn_counts),
the intervals' waiting counts per day and hour (contact_hours, contact_hour_totals, through filtered_hours)
and the escalated exception requests per day and amount (escalated_exception_days). Each query reading them gives the figures of
the SQL it replaced, kept here and run on the same store, at the filter cases of tests/test_scoped_churn.py
(whole, partial and empty periods; site, team, channel and touchpoint alone and combined) on the demo store
and on imported samples; and each rollup's rows equal its raw rows counted in plain Python."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter

import duckdb
import polars as pl
import pytest
from conftest import rows
from test_scoped_churn import cases, imported_with_customers  # noqa: F401 (a fixture, used by name)

from dashboard import catalogue, config, coverage, filters, importer, mapping, rollups, scopes, store


def previous(query: catalogue.Query, sql: str) -> catalogue.Query:
    """The query as it was: the same header and parameters, the previous SQL."""
    return catalogue.Query(**{**query.__dict__, "sql": sql})


def assert_same_frame(now: pl.DataFrame, before: pl.DataFrame, label: str, approx: tuple[str, ...] = ()) -> None:
    assert now.columns == before.columns, label
    assert now.height == before.height, label
    exact = [c for c in now.columns if c not in approx]
    assert now.select(exact).to_dicts() == before.select(exact).to_dicts(), label
    for column in approx:
        for a, b in zip(now[column].to_list(), before[column].to_list()):
            assert (a is None) == (b is None) and (a is None or a == pytest.approx(b, rel=1e-12, abs=1e-9)), label


# -- customer churn: customer_span_counts ----------------------------------------------------------------

# The churn counts as overview_customer_kpis computed them before customer_span_counts (commit 84bc95f):
# counted from filtered_customers' rows.
PREVIOUS_CHURN_TOTALS = """
select count(*) as active_at_start, count(*) filter (where churned_on <= $date_to) as churned
from filtered_customers($date_from, $date_to, $site, $team, $channel, $touchpoint)
"""
NOW_CHURN_TOTALS = """
select active_at_start, churned
from customer_churn_counts($date_from, $date_to, $site, $team, $channel, $touchpoint)
"""


def churn_cases(con) -> dict[str, filters.Filters]:
    """test_scoped_churn's cases, and periods with no scope filter around the customers' own dates."""
    (first_joined, last_churned), = rows(con, "select min(joined_on), max(churned_on) from customers")
    found = cases(con)
    if first_joined is not None:
        found.update({
            "no filter, from the first joining day": filters.Filters(first_joined, first_joined + dt.timedelta(days=400)),
            "no filter, a day": filters.Filters(first_joined + dt.timedelta(days=700),
                                                first_joined + dt.timedelta(days=700)),
        })
    if last_churned is not None:
        found.update({
            "no filter, the last churn day": filters.Filters(last_churned, last_churned),
            "no filter, after every churn": filters.Filters(last_churned + dt.timedelta(days=1),
                                                            last_churned + dt.timedelta(days=90)),
        })
    return found


def assert_same_churn(con, queries) -> dict[str, tuple[int, int]]:
    tiles = queries.get("overview_customer_kpis")
    counts = {}
    for label, chosen in churn_cases(con).items():
        params = chosen.as_params()
        now = rows(con, NOW_CHURN_TOTALS, params)
        assert now == rows(con, PREVIOUS_CHURN_TOTALS, params), label
        (active, churned), = now
        tile = catalogue.execute(con, tiles, params).row(0, named=True)
        assert tile["customer_churn_n"] == active, label
        if tile["customer_churn"] is not None:
            assert tile["customer_churn"] == 100.0 * churned / active, label
        counts[label] = (active, churned)
    return counts


def test_customer_span_counts_count_the_customers_per_pair_of_days(con):
    expected = Counter((joined, churned) for _, _, joined, churned in rows(con, "select * from customers"))
    held = rows(con, "select joined_on, churned_on, customers from customer_span_counts")
    assert {(j, c): n for j, c, n in held} == expected and len(held) == len(expected)
    assert len(held) < sum(expected.values())   # a rollup: fewer rows than customers
    # in joining order: the whole company's churn reads only the rows joined on or after the period's start
    assert [j for j, *_ in held] == sorted(j for j, *_ in held)


def test_customer_day_counts_count_joining_and_churn_per_day(con):
    joined, churned = Counter(), Counter()
    for _, _, joined_on, churned_on in rows(con, "select * from customers"):
        joined[joined_on] += 1
        if churned_on is not None:
            churned[churned_on] += 1
    held = rows(con, "select day, joined, churned from customer_day_counts")
    assert {d: (j, c) for d, j, c in held} == {d: (joined[d], churned[d]) for d in joined | churned}
    assert len(held) == len(joined | churned) > 0
    # the demo holds customers churned before they joined: the counts must allow for them
    assert rows(con, "select count(*) from customers where churned_on < joined_on")[0][0] > 0


def test_customer_team_span_counts_count_each_teams_customers_per_pair_of_days(con):
    expected = Counter((team, max(first_on, joined), churned) for team, first_on, joined, churned in rows(
        con, "select team_id, first_on, joined_on, churned_on from customer_first_contacts where first_for_team"))
    held = rows(con, "select team_id, reached_on, churned_on, customers from customer_team_span_counts")
    assert {(t, r, c): n for t, r, c, n in held} == expected and len(held) == len(expected) > 0
    assert [t for t, *_ in held] == sorted(t for t, *_ in held)   # in team order
    # customer_first_contacts in team and first-contact order, so one team's period reads few of its rows
    order = rows(con, "select team_id, first_on from customer_first_contacts")
    assert order == sorted(order)


def test_churn_counts_equal_the_previous_sql_on_the_demo(con, queries):
    counts = assert_same_churn(con, queries)
    # the cases are not trivial: customers and churners with no filter and with scopes; none in empty scopes
    assert all(n > 0 for n in counts["no filter, a month"])
    assert counts["team at another site"] == (0, 0)
    assert counts["no filter, after every churn"][0] > 0 and counts["no filter, after every churn"][1] == 0
    assert counts["one site, ending mid-month"][1] > 0


def test_churn_counts_equal_the_previous_sql_on_an_imported_log(imported_with_customers, queries):  # noqa: F811
    counts = assert_same_churn(imported_with_customers, queries)
    assert counts["no filter, a month"][0] > 0
    assert coverage.read(imported_with_customers).entries[("customer_span_counts", "churned_on")].supplied


def test_without_customer_records_the_counts_are_empty_and_churn_is_no_data(sparse_store_path, queries):
    with store.open_read_only(sparse_store_path) as con:
        assert rows(con, "select count(*) from customer_span_counts") == [(0,)]
        assert rows(con, "select supplied('customer_span_counts', 'churned_on')") == [(False,)]
        tile = catalogue.execute(con, queries.get("overview_customer_kpis"),
                                 filters.Filters(dt.date(2025, 1, 1), dt.date(2025, 3, 31)).as_params())
        assert tile.row(0, named=True)["customer_churn"] is None


def test_a_team_scope_counts_its_own_customers(store_path, con, queries):
    team, = rows(con, "select team_name from teams order by team_id limit 1")[0]
    scoped = store.open_read_only(scopes.store_for(store_path, scopes.Scope(teams=frozenset({team})), "pages"))
    try:
        expected = Counter((j, c) for _, _, j, c in rows(scoped, "select * from customers"))
        assert {(j, c): n for j, c, n in rows(scoped, "select * from customer_span_counts")} == expected != {}
        assert sum(expected.values()) < rows(con, "select count(*) from customers")[0][0]
        assert_same_churn(scoped, queries)
        assert sorted(rows(scoped, "select * from customer_team_span_counts"), key=repr) == sorted(rows(
            con, "select s.* from customer_team_span_counts as s join teams using (team_id) where team_name = $t",
            {"t": team}), key=repr) != []
    finally:
        scoped.close()


# -- the wait-times page by hour of day: contact_hours, contact_hour_totals -----------------------------

# The two queries as they were before the hour rollups (commit 84bc95f), after their headers: summed from
# every interval of the period.
PREVIOUS_WAIT_SQL = {
    "wait_times_by_hour": """
with cell_totals as (
    select
        isodow(interval_start)    as weekday_number,   -- 1 = Monday: rows are ordered Monday to Sunday
        dayname(interval_start)   as weekday,
        hour(interval_start)      as hour,
        sum(offered)::bigint                as offered,
        sum(answered)::bigint               as answered,
        sum(answered_with_wait)::bigint     as answered_with_wait,
        sum(abandoned)::bigint              as abandoned,
        sum(answered_within_20s)::bigint    as answered_within_20s,
        sum(abandoned_after_20s)::bigint    as abandoned_after_20s,
        sum(answered_wait_s)::bigint        as answered_wait_s
    from filtered_intervals($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by weekday_number, weekday, hour
    -- a handful of contacts makes a cell swing between 0 and 100 %: too few to read
    having sum(offered) >= 10
)

select
    weekday_number,
    weekday,
    hour,
    -- as the overview's KPIs: only contacts whose wait is known are judged
    answered_wait_s / nullif(answered_with_wait, 0)                                   as asa,
    100.0 * answered_within_20s / nullif(answered_with_wait + abandoned_after_20s, 0) as service_level,
    100.0 * abandoned / nullif(offered, 0)                                    as abandon_rate,
    offered,
    answered,
    abandoned
from cell_totals
order by weekday_number, hour
""",
    "wait_times_staffing_inputs": """
with data_span as (
    -- the store's whole span: days of the period outside it hold no data, so they must not
    -- dilute the mean (a period reaching past the last day of data, say)
    select min(day) as first_day, max(day) as last_day
    from contact_days
),

period_days as (
    select d::date as day
    from data_span,
         generate_series(greatest($date_from::date, first_day), least($date_to::date, last_day), interval 1 day) as g(d)
),

weekday_counts as (
    select isodow(day) as weekday_number, count(*) as days
    from period_days
    group by weekday_number
),

hour_of_week_contacts as (
    select isodow(interval_start) as weekday_number, dayname(interval_start) as weekday,
           hour(interval_start) as hour, sum(offered)::bigint as contacts
    from filtered_intervals($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by all
),

busiest_hour as (
    select h.weekday, h.hour, h.contacts, w.days, h.contacts / w.days as contacts_per_hour
    from hour_of_week_contacts as h
    join weekday_counts as w using (weekday_number)
    order by contacts_per_hour desc, h.weekday_number, h.hour
    limit 1
),

handling as (
    select sum(handle_s)::bigint   as handle_s,
           sum(handled)::bigint    as handled,
           sum(answered)::bigint   as answered
    from filtered_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

waiting as (
    -- exponential patience, estimated from every wait: an abandoned wait is a whole patience, an
    -- answered wait a patience cut short by the answer (censored). The likelihood is then maximised
    -- by all time waited / abandoned contacts.
    select (sum(answered_wait_s) + sum(abandoned_wait_s))::bigint        as waited_s,
           (sum(answered_with_wait) + sum(abandoned_with_wait))::bigint  as waits,
           sum(abandoned_with_wait)::bigint                              as abandoned
    from filtered_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
)

select
    b.weekday                              as busiest_weekday,
    b.hour                                 as busiest_hour,
    b.contacts                             as busiest_hour_contacts,
    b.days                                 as busiest_hour_days,
    b.contacts_per_hour,
    h.handle_s / nullif(h.handled, 0)      as aht_s,
    h.answered,
    w.waited_s / nullif(w.abandoned, 0)    as patience_s,
    w.waits                                as patience_waits,
    w.abandoned                            as patience_abandoned
from busiest_hour as b, handling as h, waiting as w
""",
}


def assert_same_wait_figures(con, queries, filter_cases: dict[str, filters.Filters] | None = None) -> dict:
    heights = {}
    for name, sql in PREVIOUS_WAIT_SQL.items():
        query = queries.get(name)
        for label, chosen in (filter_cases or cases(con)).items():
            now = catalogue.execute(con, query, chosen.as_params())
            before = catalogue.execute(con, previous(query, sql), chosen.as_params())
            assert now.schema == before.schema, label
            assert now.to_dicts() == before.to_dicts(), (name, label)
            heights[(name, label)] = now.height
    return heights


def summed(held: dict, key, counts: dict) -> None:
    """Adds counts into held[key] as SQL's sum() does: NULLs left out, NULL when every value is NULL."""
    before = held.setdefault(key, dict.fromkeys(counts))
    for name, value in counts.items():
        if value is not None:
            before[name] = value if before[name] is None else before[name] + value


def test_the_hours_sum_the_intervals(con):
    expected_cells, expected_totals = {}, {}
    names = [d[0] for d in con.cursor().execute("select * from contact_intervals limit 0").description]
    for row in rows(con, "select * from contact_intervals"):
        interval = dict(zip(names, row))
        key = (interval["interval_start"].date(), interval["interval_start"].hour)
        counts = {name: interval[name] for name in rollups.HOUR_COUNTS}
        summed(expected_cells, (*key, interval["team_id"], interval["channel"], interval["touchpoint_id"]), counts)
        summed(expected_totals, key, counts)
    columns = ", ".join(rollups.HOUR_COUNTS)
    cells = rows(con, f"select day, hour, team_id, channel, touchpoint_id, {columns} from contact_hours")
    totals = rows(con, f"select day, hour, {columns} from contact_hour_totals")
    assert len(cells) == len(expected_cells) and len(totals) == len(expected_totals)
    assert {row[:5]: dict(zip(rollups.HOUR_COUNTS, row[5:])) for row in cells} == expected_cells
    assert {row[:2]: dict(zip(rollups.HOUR_COUNTS, row[2:])) for row in totals} == expected_totals
    assert len(cells) < rows(con, "select count(*) from contact_intervals")[0][0]   # a rollup: fewer rows
    teams = [team for (team,) in rows(con, "select team_id from contact_hours")]
    assert teams == sorted(teams)   # in team order, so a team filter skips the other teams' rows


def test_wait_figures_by_hour_equal_the_previous_sql_on_the_demo(con, queries):
    heights = assert_same_wait_figures(con, queries)
    assert heights[("wait_times_by_hour", "no filter, a month")] > 50   # weekdays x hours with 10 contacts or more
    assert heights[("wait_times_by_hour", "one site, ending mid-month")] > 0
    assert heights[("wait_times_by_hour", "one channel")] > 0
    assert heights[("wait_times_staffing_inputs", "one team, one month")] == 1
    assert heights[("wait_times_by_hour", "team at another site")] == 0


def test_wait_figures_by_hour_equal_the_previous_sql_on_an_imported_log(imported_with_customers, queries):  # noqa: F811
    assert_same_wait_figures(imported_with_customers, queries)


@pytest.fixture(scope="module")
def acd_store(tmp_path_factory):
    """The ACD interval-report sample (tests/data/acd_intervals.csv) imported with its shipped mapping."""
    db = tmp_path_factory.mktemp("acd_intervals") / "store.duckdb"
    importer.run([config.ROOT / "tests" / "data" / "acd_intervals.csv"],
                 mapping.load(config.ROOT / "data" / "mappings" / "acd_intervals.yaml"), db)
    connection = store.open_read_only(db)
    yield connection
    connection.close()


def test_wait_figures_by_hour_equal_the_previous_sql_on_interval_reports(acd_store, queries):
    con = acd_store
    assert rows(con, "select count(*) from interactions") == [(0,)]
    assert rows(con, "select count(*) from contact_hours")[0][0] > 0
    (first, last), = rows(con, "select min(interval_start)::date, max(interval_start)::date from contact_intervals")
    team, channel = rows(con, "select min(team_name), min(channel) from contact_intervals join teams using (team_id)")[0]
    middle = first + (last - first) / 2
    heights = assert_same_wait_figures(con, queries, {
        "the whole report": filters.Filters(first, last),
        "one day": filters.Filters(middle, middle),
        "one team": filters.Filters(first, middle, team=team),
        "one channel": filters.Filters(middle, last, channel=channel),
        "team and channel": filters.Filters(first, last, team=team, channel=channel),
        "before the report": filters.Filters(first - dt.timedelta(days=30), first - dt.timedelta(days=1)),
    })
    assert heights[("wait_times_by_hour", "the whole report")] > 0


def test_a_team_scope_keeps_its_own_hours_and_totals(store_path, con):
    team_id, team = rows(con, "select team_id, team_name from teams order by team_id limit 1")[0]
    scoped = store.open_read_only(scopes.store_for(store_path, scopes.Scope(teams=frozenset({team})), "pages"))
    try:
        mine = rows(con, "select * from contact_hours where team_id = $t", {"t": team_id})
        assert sorted(rows(scoped, "select * from contact_hours"), key=repr) == sorted(mine, key=repr) != []
        totals = {}
        for day, hour, _, _, _, *counts in mine:
            summed(totals, (day, hour), dict(zip(rollups.HOUR_COUNTS, counts)))
        held = rows(scoped, "select * from contact_hour_totals")
        assert {row[:2]: dict(zip(rollups.HOUR_COUNTS, row[2:])) for row in held} == totals
    finally:
        scoped.close()


# -- the escalations page's what-if: escalated_exception_days -----------------------------------------------

# The query as it was before escalated_exception_days (commit 84bc95f), after its header: every contact of the
# period. Counts are compared exactly; the hours to 1e-12 relative, since it added up each contact's hours in
# whatever order DuckDB's threads took them, while the new one makes hours of the exact sum of microseconds.
PREVIOUS_WHAT_IF = """
with escalated as (
    select
        exception_amount,
        -- the customer waits from the end of the contact until someone above the agent decides
        (epoch(decided_at) - epoch(ended_at)) / 3600.0 as waiting_hours
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned and exception_requested and escalation_depth > 0
)

select
    count(*)                                                                as escalations,
    count(*) filter (where exception_amount <= $grant_limit)                as escalations_avoided,
    coalesce(sum(waiting_hours), 0)                                         as waiting_hours,
    coalesce(sum(waiting_hours) filter (where exception_amount <= $grant_limit), 0) as waiting_hours_saved
from escalated
"""
WHAT_IF_HOURS = ("waiting_hours", "waiting_hours_saved")


def grant_limits(con, chosen: filters.Filters) -> list:
    """No limit reaches, one amount of the period's escalated requests exactly (an equal amount counts), one
    between cents, and every amount."""
    (middle,), = rows(con, """
        select quantile_disc(exception_amount, 0.5)
        from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
        where not abandoned and exception_requested and escalation_depth > 0""", chosen.as_params())
    middle = float(middle) if middle is not None else 100.0
    return [0.0, middle, middle + 0.005, 300.0, 10.0**9]


def assert_same_what_if(con, queries) -> dict:
    query = queries.get("escalations_what_if")
    found = {}
    for label, chosen in cases(con).items():
        for limit in grant_limits(con, chosen):
            values = {**chosen.as_params(), "grant_limit": limit}
            now = catalogue.execute(con, query, values)
            before = catalogue.execute(con, previous(query, PREVIOUS_WHAT_IF), values)
            assert now.schema == before.schema, label
            assert_same_frame(now, before, f"{label}, limit {limit}", approx=WHAT_IF_HOURS)
            found[(label, limit)] = now.row(0, named=True)
    return found


def assert_escalated_rows_count_the_contacts(con) -> int:
    """escalated_exception_days against the contacts counted in plain Python; returns its rows."""
    expected = {}
    for day, team, channel, touchpoint, amount, ended, decided in rows(con, """
            select queued_at::date, team_id, channel, touchpoint_id, exception_amount, ended_at, decided_at
            from interactions where not abandoned and exception_requested and escalation_depth > 0"""):
        count, waited = expected.get((day, team, channel, touchpoint, amount), (0, None))
        if ended is not None and decided is not None:
            waited = (waited or 0) + (decided - ended) // dt.timedelta(microseconds=1)
        expected[(day, team, channel, touchpoint, amount)] = (count + 1, waited)
    held = rows(con, "select * from escalated_exception_days")
    assert {row[:5]: row[5:] for row in held} == expected and len(held) == len(expected)
    days = [day for (day, *_) in held]
    assert days == sorted(days)   # in time order, so a period reads only its own rows
    return len(held)


def test_escalated_exception_days_count_the_contacts(con):
    assert assert_escalated_rows_count_the_contacts(con) > 0


def test_the_what_if_equals_the_previous_sql_on_the_demo(con, queries):
    found = assert_same_what_if(con, queries)
    limits = grant_limits(con, cases(con)["no filter, a month"])
    month = found[("no filter, a month", limits[-1])]
    assert month["escalations"] == month["escalations_avoided"] > 0 and month["waiting_hours"] > 0
    assert 0 < found[("no filter, a month", limits[1])]["escalations_avoided"] < month["escalations"]
    assert found[("one team, one month", 300.0)]["escalations"] > 0
    assert found[("team at another site", 300.0)]["escalations"] == 0


@pytest.fixture(scope="module")
def store_with_unknowns(store_path, tmp_path_factory):
    """The test store with unknown amounts, decision times and end times on some escalated requests, and
    amounts equal across contacts, rebuilt as a publish would."""
    path = tmp_path_factory.mktemp("what_if_unknowns") / "unknowns.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("update interactions set exception_amount = null where interaction_id % 11 = 0")
        connection.execute("update interactions set decided_at = null where interaction_id % 13 = 0")
        connection.execute("update interactions set ended_at = null where interaction_id % 17 = 0")
        connection.execute("update interactions set exception_amount = 250 where interaction_id % 7 = 0 "
                           "and exception_amount is not null")
        rollups.build(connection)
        coverage.record(connection)
    connection = store.open_read_only(path)
    yield connection
    connection.close()


def test_unknown_amounts_and_times_count_as_before(store_with_unknowns, queries):
    assert_escalated_rows_count_the_contacts(store_with_unknowns)
    assert_same_what_if(store_with_unknowns, queries)
    assert rows(store_with_unknowns, "select count(*) from escalated_exception_days "
                                     "where exception_amount is null or waited_us is null")[0][0] > 0


@pytest.mark.parametrize("sample, mapping_file", [("support_tickets.csv", "support_tickets.yaml"),
                                                  ("incident_events.csv", "incident_event_log.yaml")])
def test_the_what_if_equals_the_previous_sql_on_an_imported_sample(tmp_path_factory, queries, sample, mapping_file):
    db = tmp_path_factory.mktemp(sample.split(".")[0]) / "store.duckdb"
    importer.run([config.ROOT / "tests" / "data" / sample],
                 mapping.load(config.ROOT / "data" / "mappings" / mapping_file), db)
    con = store.open_read_only(db)
    try:
        assert_escalated_rows_count_the_contacts(con)
        assert_same_what_if(con, queries)
    finally:
        con.close()


def test_a_team_scope_keeps_its_own_escalated_requests(store_path, con):
    team_id, team = rows(con, "select team_id, team_name from teams order by team_id limit 1")[0]
    scoped = store.open_read_only(scopes.store_for(store_path, scopes.Scope(teams=frozenset({team})), "pages"))
    try:
        assert sorted(rows(scoped, "select * from escalated_exception_days"), key=repr) == sorted(
            rows(con, "select * from escalated_exception_days where team_id = $t", {"t": team_id}), key=repr) != []
    finally:
        scoped.close()


def test_interval_reports_have_no_escalated_requests(acd_store):
    assert rows(acd_store, "select count(*) from escalated_exception_days") == [(0,)]
