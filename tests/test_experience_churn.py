"""Customer churn by experience (queries/attrition_customer_churn.sql). Without a site, team, channel or
touchpoint filter it reads customer_experience_firsts (per contact that is a customer's first of a set of
experiences in some period, the day since which it is; data/schema.sql) instead of folding every contact of
the period per customer; with a team filter alone, customer_team_experience_firsts (the same per team). Its
figures equal those of the previous SQL (kept here) at many filters, on the demo, on stores lacking waits,
escalation levels or survey answers, on a store holding contacts of a team not in teams, and on a scope's
store; they equal a count in plain Python from the raw rows; and both rollups' rows equal the raw rows'
counted in plain Python."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections import Counter

import duckdb
import polars as pl
import pytest
from conftest import rows
from polars.testing import assert_frame_equal
from test_scoped_churn import imported_with_customers  # noqa: F401 (a fixture)

from dashboard import catalogue, config, coverage, filters, rollups, scopes, store

# The query's SQL before the rollup (commit 84bc95f): every contact of the period folded per customer.
PREVIOUS_SQL = """
-- only the answers within the span of the period's contact ids are read (ids follow time in most
-- stores, so a quarter reads a quarter's answers; the span holds every filtered contact's id, so the
-- result is the same)
with period_ids as (
    select min(interaction_id) as first_id, max(interaction_id) as last_id
    from interactions
    where queued_at >= $date_from and queued_at < $date_to + interval 1 day
),

low_csat_contacts as (
    select s.interaction_id
    from customer_surveys as s, period_ids as p
    where s.csat <= 2 and s.interaction_id between p.first_id and p.last_id
),

-- Each contact's experiences as bits of one small integer, so that a customer's contacts fold with one
-- bit_or into one row, and customers then count by kind (a few dozen rows) instead of once per experience:
-- 1 a long wait or an abandon, 2 the wait is known (recorded, or abandoned), 4 escalated to a manager or
-- above, 8 a low CSAT answer.
flagged as (
    select
        customer_id,
          case when abandoned or wait_s > 300 then 1 else 0 end
        | case when abandoned or wait_s is not null then 2 else 0 end
        | case when coalesce(escalation_depth, 0) >= 2 then 4 else 0 end
        | case when interaction_id in (select interaction_id from low_csat_contacts) then 8 else 0 end as flags
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where customer_id is not null
),

experiences as (
    select customer_id, bit_or(flags) as flags
    from flagged
    group by customer_id
),

-- the customers active at the period's start who contacted the scope in it, counted by their experiences
-- and whether they churned; long_wait is null when no contact of theirs has a known wait: unknown
kinds as (
    select
        case when e.flags & 2 = 2 then e.flags & 1 = 1 end     as long_wait,
        e.flags & 4 = 4                                         as escalated,
        e.flags & 8 = 8                                         as low_csat,
        coalesce(c.churned_on <= $date_to, false)               as churned,
        count(*)                                                as customers
    from customers as c
    join experiences as e using (customer_id)
    where c.joined_on < $date_from and (c.churned_on is null or c.churned_on >= $date_from)
    group by all
),

-- a store without waits shows no wait experience at all (row_needs), so nobody is left out for it
customer_experiences as (
    select
        customers,
        churned,
        coalesce(long_wait, false)                as long_wait,
        escalated,
        low_csat,
        coalesce(long_wait, false) or escalated or low_csat as any_bad
    from kinds
    where long_wait is not null or not supplied('interactions', 'wait_s')
),

-- one row per kind and experience, so each experience splits the same customers in two
long_form as (
    select 1 as experience_order, 'Long wait (> 5 min) or abandoned' as experience, long_wait as had_it,
           churned, customers
    from customer_experiences
    union all
    select 2, 'Escalated to a manager or above', escalated, churned, customers from customer_experiences
    union all
    select 3, 'Low CSAT answer (1-2)', low_csat, churned, customers from customer_experiences
    union all
    select 4, 'Any of the three', any_bad, churned, customers from customer_experiences
),

grouped as (
    select experience_order, experience, had_it,
           sum(customers)::bigint                                   as customers,
           coalesce(sum(customers) filter (where churned), 0)::bigint as churned
    from long_form
    group by experience_order, experience, had_it
    union all
    -- the customers whose wait is unknown belong to no experience: the chart leaves them out and counts them
    select 5, null, null, sum(customers)::bigint, coalesce(sum(customers) filter (where churned), 0)::bigint
    from kinds
    where long_wait is null and supplied('interactions', 'wait_s')
    having count(*) > 0
)

select
    experience,
    case when had_it then 'Went through it' when not had_it then 'Did not' end as went_through,
    customers,
    churned,
    100.0 * churned / customers                                   as churn_pct,
    100.0 * wilson_lower(churned, customers)                      as churn_low_pct,
    100.0 * wilson_upper(churned, customers)                      as churn_high_pct
from grouped
order by experience_order, had_it desc
"""

EXPERIENCES = ("Long wait (> 5 min) or abandoned", "Escalated to a manager or above", "Low CSAT answer (1-2)",
               "Any of the three")


def query() -> catalogue.Query:
    return catalogue.load(config.queries_dir()).get("attrition_customer_churn")


def previous() -> catalogue.Query:
    return catalogue.Query(**{**query().__dict__, "sql": PREVIOUS_SQL})


def cases(con) -> dict[str, filters.Filters]:
    """Periods without a scope filter (the rollup's) of every shape, and every kind of scope filter."""
    (first, last), = rows(con, "select min(queued_at)::date, max(queued_at)::date from interactions")
    team, site = rows(con, "select team_name, site from teams where team_id in (select team_id from interactions) "
                           "order by team_id limit 1")[0]
    other_site, = rows(con, "select coalesce(max(site) filter (where site <> $site), 'no such site') from teams",
                       {"site": site})[0]
    channel, = rows(con, "select min(channel) from interactions")[0]
    touchpoint, = rows(con, "select min(touchpoint_name) from interactions join touchpoints using (touchpoint_id)")[0]
    middle = first + (last - first) / 2
    month_start = middle.replace(day=1)
    month = (month_start, (month_start + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1))
    mid_month = (first + (last - first) / 4, middle.replace(day=14))
    quarter_start = (last - dt.timedelta(days=80)).replace(day=1)
    return {
        "whole data": filters.Filters(first, last),
        "last quarter": filters.Filters(quarter_start, last),
        "a month": filters.Filters(*month),
        "mid-month to mid-month": filters.Filters(*mid_month),
        "a day": filters.Filters(middle, middle),
        "before and after the data": filters.Filters(first - dt.timedelta(days=40), last + dt.timedelta(days=40)),
        "ending before the first contact": filters.Filters(first - dt.timedelta(days=60), first - dt.timedelta(days=1)),
        "one team, one month": filters.Filters(*month, team=team),
        "one team, whole data": filters.Filters(first, last, team=team),
        "one team, a day": filters.Filters(middle, middle, team=team),
        "one team, before and after the data": filters.Filters(first - dt.timedelta(days=40),
                                                               last + dt.timedelta(days=40), team=team),
        "team and its site": filters.Filters(*mid_month, site=site, team=team),
        "team and another site": filters.Filters(*mid_month, site=other_site, team=team),
        "one site": filters.Filters(*mid_month, site=site),
        "one channel": filters.Filters(first, last, channel=channel),
        "one touchpoint, one month": filters.Filters(*month, touchpoint=touchpoint),
        "team and channel": filters.Filters(*mid_month, team=team, channel=channel),
        "site, channel and touchpoint": filters.Filters(*month, site=site, channel=channel, touchpoint=touchpoint),
    }


def run(con, q: catalogue.Query, chosen: filters.Filters) -> pl.DataFrame:
    return catalogue.execute(con, q, {**chosen.as_params(), **catalogue.page_param_defaults()}, timeout_s=600)


def counted_in_python(con, chosen: filters.Filters) -> dict[tuple, tuple[int, int]]:
    """(experience, went_through) -> (customers, churned), from `select` of the raw rows: the period's base
    customers (active at its start, a contact of the scope in it; contacts of teams and touchpoints in their
    tables), each customer's contacts' experiences folded by hand."""
    waits_supplied, = rows(con, "select supplied('interactions', 'wait_s')")[0]
    customers = dict((c, (joined, churned)) for c, joined, churned in
                     rows(con, "select customer_id, joined_on, churned_on from customers"))
    low_csat = {i for i, in rows(con, "select interaction_id from customer_surveys where csat <= 2")}
    folded: dict[int, dict[str, bool]] = {}
    for contact_id, customer, day, abandoned, wait_s, depth, team, site, channel, touchpoint in rows(con, """
            select i.interaction_id, i.customer_id, i.queued_at::date, i.abandoned, i.wait_s, i.escalation_depth,
                   t.team_name, t.site, i.channel, tp.touchpoint_name
            from interactions as i join teams as t using (team_id) join touchpoints as tp using (touchpoint_id)"""):
        if customer not in customers or not chosen.date_from <= day <= chosen.date_to:
            continue
        if any(wanted is not None and wanted != held for wanted, held in
               ((chosen.site, site), (chosen.team, team), (chosen.channel, channel), (chosen.touchpoint, touchpoint))):
            continue
        joined, churned = customers[customer]
        if not (joined < chosen.date_from and (churned is None or churned >= chosen.date_from)):
            continue
        had = folded.setdefault(customer, dict(known=False, long=False, escalated=False, low=False))
        had["known"] |= abandoned or wait_s is not None
        had["long"] |= abandoned or (wait_s is not None and wait_s > 300)
        had["escalated"] |= (depth or 0) >= 2
        had["low"] |= contact_id in low_csat
    out: dict[tuple, tuple[int, int]] = {}
    for customer, had in folded.items():
        churned_on = customers[customer][1]
        churned = int(churned_on is not None and churned_on <= chosen.date_to)
        # with waits in the store, a customer with no known wait belongs to no experience: one row counts them
        long = had["long"] and had["known"]
        kinds = [(None, None)] if waits_supplied and not had["known"] else [
            (experience, "Went through it" if went else "Did not") for experience, went in
            zip(EXPERIENCES, (long, had["escalated"], had["low"], long or had["escalated"] or had["low"]))]
        for kind in kinds:
            customers_n, churned_n = out.get(kind, (0, 0))
            out[kind] = (customers_n + 1, churned_n + churned)
    return out


def assert_same_everywhere(con) -> dict[str, int]:
    """The query against the previous SQL (every column, exactly) and against the count in Python."""
    sizes = {}
    for label, chosen in cases(con).items():
        now = run(con, query(), chosen)
        assert_frame_equal(now, run(con, previous(), chosen), check_exact=True)
        held = {(r["experience"], r["went_through"]): (r["customers"], r["churned"]) for r in now.iter_rows(named=True)}
        assert held == counted_in_python(con, chosen), label
        sizes[label] = sum(n for (experience, _), (n, _) in held.items() if experience == EXPERIENCES[0])
    return sizes


def expected_rollup(con, by_team: bool = False) -> Counter:
    """customer_experience_firsts counted in Python: each customer's contacts in queue order, the last day of
    each experience before each contact. By team, customer_team_experience_firsts: each customer's contacts
    with each team apart, keyed by team first."""
    customers = dict((c, (joined, churned)) for c, joined, churned in
                     rows(con, "select customer_id, joined_on, churned_on from customers"))
    touchpoints = {t for t, in rows(con, "select touchpoint_id from touchpoints")}
    low_csat = {i for i, in rows(con, "select interaction_id from customer_surveys where csat <= 2")}
    contacts = sorted(((customer, team if by_team else None), queued_at, contact_id, abandoned, wait_s, depth)
                      for contact_id, customer, team, touchpoint, queued_at, abandoned, wait_s, depth in rows(con, """
                          select interaction_id, customer_id, team_id, touchpoint_id, queued_at, abandoned, wait_s,
                                 escalation_depth from interactions""")
                      if customer in customers and touchpoint in touchpoints)
    # the sets whose first contacts the rollup counts, as the experiences each is made of
    sets = {"contact": "kleb", "known_wait": "k", "long_wait": "l", "escalated": "e", "low_csat": "b",
            "known_wait_or_escalated": "ke", "known_wait_or_low_csat": "kb", "any_bad": "leb",
            "known_wait_or_any_bad": "keb"}
    out: Counter = Counter()
    last: dict[str, dt.date] = {}
    previous_customer = None
    for (customer, team), queued_at, contact_id, abandoned, wait_s, depth in contacts:
        if (customer, team) != previous_customer:
            last, previous_customer = {}, (customer, team)
        day = queued_at.date()
        joined, churned = customers[customer]
        had = {"k": abandoned or wait_s is not None, "l": abandoned or (wait_s is not None and wait_s > 300),
               "e": (depth or 0) >= 2, "b": contact_id in low_csat}
        since = []
        for name, letters in sets.items():
            in_set = name == "contact" or any(had[x] for x in letters)
            days = [joined] + [last[x] for x in (letters if name != "contact" else "a") if x in last]
            value = max(days) if in_set else None
            since.append(value if value is not None and value < day else None)
        if any(s is not None for s in since):
            out[((team,) if by_team else ()) + (day, churned, *since)] += 1
        last["a"] = day
        for x, yes in had.items():
            if yes:
                last[x] = day
    return out


def held_rollup(con, by_team: bool = False) -> Counter:
    table = "customer_team_experience_firsts" if by_team else "customer_experience_firsts"
    return Counter({tuple(r[:-1]): r[-1] for r in rows(con, f"select * from {table}")})


# ---- the demo ------------------------------------------------------------------------------------

def test_the_rollup_holds_each_contacts_since_days_counted(con):
    held = held_rollup(con)
    assert held == expected_rollup(con) != Counter()
    assert sum(held.values()) < rows(con, "select count(*) from interactions")[0][0]


def test_the_team_rollup_holds_each_contacts_since_days_with_its_team_counted(con):
    held = held_rollup(con, by_team=True)
    assert held == expected_rollup(con, by_team=True) != Counter()
    # a customer's first contact with a team is often not their first contact: more first contacts
    assert sum(held.values()) > sum(held_rollup(con).values())
    assert {team for team, *_ in held} == {t for t, in rows(con, "select distinct team_id from interactions")}


def test_a_build_in_batches_of_customers_and_of_teams_holds_the_same_rows(store_path, tmp_path, con):
    path = tmp_path / "store.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        batches = rollups.customer_batches(connection, most=5_000)
        # every customer in exactly one batch, and batches of about 5,000 contacts
        per_customer = dict(rows(connection, "select customer_id, count(*) from interactions "
                                             "where customer_id is not null group by all"))
        for customer in per_customer:
            assert sum(1 for after, upto in batches if (after is None or customer > after)
                       and (upto is None or customer <= upto)) == 1
        sizes = [sum(n for customer, n in per_customer.items() if (after is None or customer > after)
                     and (upto is None or customer <= upto)) for after, upto in batches]
        assert len(batches) == -(-sum(per_customer.values()) // 5_000) and max(sizes) < 2 * 5_000
        assert len(rollups.team_batches(connection, most=5_000)) > 1
        rollups.build_experience_firsts(connection, most=5_000)
        assert held_rollup(connection) == held_rollup(con) == expected_rollup(con)
        assert held_rollup(connection, by_team=True) == held_rollup(con, by_team=True)
        assert rows(connection, "select count(*) from duckdb_tables() where table_name = 'experience_first_batches'") \
            == [(0,)]


def test_the_rollup_is_in_day_order_and_the_team_rollup_in_team_then_day_order(con):
    days = [d for d, in rows(con, "select day from customer_experience_firsts")]
    assert days == sorted(days)
    team_days = rows(con, "select team_id, day from customer_team_experience_firsts")
    assert team_days == sorted(team_days) and len({t for t, _ in team_days}) > 1


def test_churn_by_experience_equals_the_previous_sql_and_a_count_from_the_rows(con):
    sizes = assert_same_everywhere(con)
    assert sizes["whole data"] > sizes["a month"] > sizes["one team, one month"] > 0
    assert sizes["one team, whole data"] > sizes["one team, one month"] and sizes["team and its site"] > 0
    assert sizes["team and another site"] == 0
    assert sizes["a day"] > 0 and sizes["site, channel and touchpoint"] > 0
    assert sizes["ending before the first contact"] == 0


# ---- stores lacking inputs, and a store's own quirks ---------------------------------------------

def _rebuilt_copy(store_path, folder, *statements: str, after_record: tuple[str, ...] = ()):
    path = folder / "store.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        for statement in statements:
            connection.execute(statement)
        rollups.build(connection)
        coverage.record(connection)
        for statement in after_record:
            connection.execute(statement)
    return path


@pytest.fixture(scope="module", params=["some waits and levels unknown", "no waits supplied", "no surveys"])
def lacking_store(request, store_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("churn_lacking")
    if request.param == "some waits and levels unknown":
        # every 7th contact's wait and every 5th one's level unrecorded: some customers have no known wait
        path = _rebuilt_copy(store_path, folder, "update interactions set wait_s = null where interaction_id % 7 = 0",
                             "update interactions set escalation_depth = null where interaction_id % 5 = 0")
    elif request.param == "no waits supplied":
        path = _rebuilt_copy(store_path, folder, "update interactions set wait_s = null",
                             after_record=("update store_coverage set supplied = false "
                                           "where table_name = 'interactions' and column_name = 'wait_s'",))
    else:
        path = _rebuilt_copy(store_path, folder, "delete from customer_surveys")
    connection = store.open_read_only(path)
    yield request.param, connection
    connection.close()


def test_stores_lacking_waits_levels_or_surveys_give_the_same_figures(lacking_store):
    kind, con = lacking_store
    assert held_rollup(con) == expected_rollup(con)
    assert held_rollup(con, by_team=True) == expected_rollup(con, by_team=True)
    assert_same_everywhere(con)
    year = run(con, query(), cases(con)["whole data"])
    unknown = year.filter(pl.col("experience").is_null())["customers"].to_list()
    assert (len(unknown) == 1 and unknown[0] > 0) if kind == "some waits and levels unknown" else unknown == []
    if kind == "no surveys":
        assert year.filter(pl.col("experience") == EXPERIENCES[2])["went_through"].to_list() == ["Did not"]


def test_an_imported_log_without_waits_levels_or_surveys_gives_the_same_figures(imported_with_customers):  # noqa: F811
    con = imported_with_customers
    assert held_rollup(con) == expected_rollup(con) != Counter()
    assert held_rollup(con, by_team=True) == expected_rollup(con, by_team=True) != Counter()
    sizes = assert_same_everywhere(con)
    assert sizes["whole data"] > 0 and sizes["one team, one month"] > 0


def test_contacts_of_a_team_missing_from_teams_are_left_out_as_before(store_path, tmp_path):
    """An import may leave contacts pointing at a team not in teams (it warns); the rollup, built from the
    contacts alone, still holds them: the query then reads the contacts, as the other scopes do."""
    path = _rebuilt_copy(store_path, tmp_path,
                         after_record=("delete from teams where team_id = (select min(team_id) from interactions)",))
    with store.open_read_only(path) as con:
        chosen = cases(con)["whole data"]
        # the case is a real one: the rollup alone would count the team's customers
        rollup_alone = rows(con, """
            select sum(contacts) from customer_experience_firsts
            where since_contact < $date_from and day between $date_from and $date_to
              and (churned_on is null or churned_on >= $date_from)""",
                            {"date_from": chosen.date_from, "date_to": chosen.date_to})[0][0]
        in_python = counted_in_python(con, chosen)
        assert rollup_alone > sum(n for (e, _), (n, _) in in_python.items() if e in (EXPERIENCES[0], None))
        assert_same_everywhere(con)


def test_a_scope_store_holds_its_own_rollup_and_the_same_figures(store_path, con):
    team, = rows(con, "select min(team_name) from teams")[0]
    for purpose in ("pages", "lab"):
        derived = store.open_read_only(scopes.store_for(store_path, scopes.Scope(teams=frozenset({team})), purpose))
        try:
            assert held_rollup(derived) == expected_rollup(derived) != Counter()
            assert held_rollup(derived, by_team=True) == expected_rollup(derived, by_team=True) != Counter()
            team_days = rows(derived, "select team_id, day from customer_team_experience_firsts")
            assert team_days == sorted(team_days)
            assert_same_everywhere(derived)
        finally:
            derived.close()


# ---- every period's counts, one row each (experience_churn_periods) ------------------------------

PERIOD_COLUMNS = [f"{name}{suffix}" for suffix in ("", "_churned") for name in rollups.EXPERIENCE_SETS]


def summed_from_first_contacts(con, date_from: dt.date, date_to: dt.date) -> tuple:
    """A period's counts from customer_experience_firsts, with the query's filters as plain SQL."""
    sums = ", ".join([f"coalesce(sum(contacts) filter (where since_{name} < $f), 0)::bigint"
                      for name in rollups.EXPERIENCE_SETS]
                     + [f"coalesce(sum(contacts) filter (where since_{name} < $f and churned_on <= $t), 0)::bigint"
                        for name in rollups.EXPERIENCE_SETS])
    return rows(con, f"""select {sums} from customer_experience_firsts
                         where day between $f and $t and (churned_on is null or churned_on >= $f)""",
                {"f": date_from, "t": date_to})[0]


def test_every_periods_row_equals_its_first_contacts_summed(con):
    """Every period of whole days inside the data has a row (checked: the count of rows), and the rows of
    the first and last days and of 150 random periods equal the first contacts summed in plain SQL."""
    (first, last), = rows(con, "select min(day), max(day) from customer_experience_firsts")
    days = (last - first).days + 1
    assert rows(con, "select count(*), min(period_from), max(period_to) from experience_churn_periods") \
        == [(days * (days + 1) // 2, first, last)]
    pick = random.Random(13)
    periods = [(first, last), (first, first), (last, last)] + [
        tuple(sorted(first + dt.timedelta(days=pick.randrange(days)) for _ in range(2))) for _ in range(150)]
    held = {(f, t): r for f, t, *r in rows(con, f"select period_from, period_to, {', '.join(PERIOD_COLUMNS)} "
                                                "from experience_churn_periods")}
    for date_from, date_to in periods:
        assert tuple(held[(date_from, date_to)]) == summed_from_first_contacts(con, date_from, date_to), (date_from, date_to)
    assert held[(first, last)][0] > 0


def test_a_period_with_a_row_reads_that_row_alone(store_path, tmp_path, con):
    """With the first contacts emptied and the periods' rows kept, periods inside the data still give their
    figures (the query reads the row, not the first contacts); a period the rows do not hold (before and
    after the data) reads the first contacts, now none."""
    path = _rebuilt_copy(store_path, tmp_path, after_record=("delete from customer_experience_firsts",))
    chosen = cases(con)
    with store.open_read_only(path) as emptied:
        for label in ("whole data", "last quarter", "a month", "mid-month to mid-month", "a day"):
            assert_frame_equal(run(emptied, query(), chosen[label]), run(con, query(), chosen[label]),
                               check_exact=True)
        outside = run(emptied, query(), chosen["before and after the data"])
        assert outside.filter(pl.col("experience").is_not_null())["customers"].sum() == 0
        assert run(con, query(), chosen["before and after the data"])["customers"].sum() > 0


def test_a_team_filter_alone_reads_the_team_rollup(store_path, tmp_path, con):
    """With the team rollup emptied, a team filter alone (with its site or not) counts nobody: the query
    reads the rollup, not the contacts; a team with a channel filter, and a site alone, still fold the
    contacts and give the same figures."""
    path = _rebuilt_copy(store_path, tmp_path, after_record=("delete from customer_team_experience_firsts",))
    chosen = cases(con)
    with store.open_read_only(path) as emptied:
        for label in ("one team, one month", "one team, whole data", "team and its site"):
            assert run(con, query(), chosen[label])["customers"].sum() > 0
            assert run(emptied, query(), chosen[label])["customers"].sum() == 0, label
        for label in ("team and channel", "one site", "whole data"):
            assert_frame_equal(run(emptied, query(), chosen[label]), run(con, query(), chosen[label]),
                               check_exact=True)


def test_periods_starting_before_the_rows_window_read_the_first_contacts(store_path, tmp_path):
    """With rows for periods starting in the last 40 days only, every case gives the previous SQL's figures
    and the count in Python: older periods read the first contacts, newer ones their row."""
    path = _rebuilt_copy(store_path, tmp_path, after_record=(
        "delete from experience_churn_periods",
        f"insert into experience_churn_periods {rollups.experience_churn_periods_sql(40)}"))
    with store.open_read_only(path) as con:
        (last,), = rows(con, "select max(day) from customer_experience_firsts")
        starts = rows(con, "select min(period_from), count(distinct period_from) from experience_churn_periods")
        assert starts == [(last - dt.timedelta(days=39), 40)]
        assert_same_everywhere(con)
