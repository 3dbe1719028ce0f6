"""Tables the store derives from its own rows when it is published: the KPI layer at interval grain
(`contact_intervals`, docs/design.md section 11) and the small rollups page queries read instead of
scanning every contact.

`build(con)` rebuilds them inside the build of a new store version (the demo, an import), before
coverage.record and before store.publish, so a published store never holds a rollup that disagrees
with its rows. Every figure read from a rollup equals the same figure computed from the rows: the
formulas stay those of section 4, only their sums are taken earlier.
"""

from __future__ import annotations

import datetime as dt

import duckdb

INTERVAL_MINUTES = 30

# Which contact columns each interval count is made from: an interval column built from contacts is
# supplied exactly when all of these are (coverage.DERIVED reads this). The table alone means the
# count needs nothing but the contacts themselves.
INTERVAL_SOURCES: dict[str, tuple[str, ...]] = {
    "abandoned": ("interactions.abandoned",),
    "answered": ("interactions.abandoned",),
    "answered_with_wait": ("interactions.wait_s",),
    "answered_wait_s": ("interactions.wait_s",),
    "answered_within_20s": ("interactions.wait_s",),
    "abandoned_after_20s": ("interactions.wait_s",),
    "abandoned_with_wait": ("interactions.wait_s", "interactions.abandoned"),
    "abandoned_wait_s": ("interactions.wait_s", "interactions.abandoned"),
    "handled": ("interactions.handle_s",),
    "handle_s": ("interactions.handle_s",),
    "resolution_known": ("interactions.resolved",),
    "first_contact_resolved": ("interactions.resolved", "interactions.customer_id"),
    "depth_recorded": ("interactions.escalation_depth",),
    "escalated": ("interactions.escalation_depth",),
    "wait_sla_judged": ("interactions.wait_s",),
    "wait_sla_met": ("interactions.wait_s",),
    "resolution_sla_judged": ("interactions.resolved", "interactions.resolution_s"),
    "resolution_sla_met": ("interactions.resolved", "interactions.resolution_s"),
    "csat_answers": ("customer_surveys.csat",),
    "csat_satisfied": ("customer_surveys.csat",),
    "nps_answers": ("customer_surveys.nps",),
    "promoters": ("customer_surveys.nps",),
    "detractors": ("customer_surveys.nps",),
    "ces_answers": ("customer_surveys.ces",),
    "ces_sum": ("customer_surveys.ces",),
}

# The same for contact_months: the contact columns each of its columns is made from (coverage.DERIVED).
MONTH_SOURCES: dict[str, tuple[str, ...]] = {
    "agent_id": ("interactions.agent_id",),
    "abandoned": ("interactions.abandoned",),
    "exception_requested": ("interactions.exception_requested",),
    "escalation_depth": ("interactions.escalation_depth",),
    "handled": ("interactions.handle_s",),
    "handle_s": ("interactions.handle_s",),
    "handle_s_squared": ("interactions.handle_s",),
    "resolution_known": ("interactions.resolved",),
    "resolved": ("interactions.resolved",),
    "first_contact_resolved": ("interactions.resolved", "interactions.customer_id"),
    "surveyed": ("customer_surveys.interaction_id",),
    "survey_answers": ("customer_surveys.interaction_id",),
    "csat_answers": ("customer_surveys.csat",),
    "csat_satisfied": ("customer_surveys.csat",),
    "nps_answers": ("customer_surveys.nps",),
    "promoters": ("customer_surveys.nps",),
    "detractors": ("customer_surveys.nps",),
}

# The same for contact_wait_days (coverage.DERIVED). Its CSAT counts need the answers alone, as those of
# contact_months: whether a contact was answered is part of every contact log.
WAIT_DAY_SOURCES: dict[str, tuple[str, ...]] = {
    "wait_bucket": ("interactions.wait_s",),
    "abandoned": ("interactions.abandoned",),
    "csat_answers": ("customer_surveys.csat",),
    "csat_satisfied": ("customer_surveys.csat",),
}

# The same for customer_first_contacts (coverage.DERIVED): a row needs the contact's customer id and that
# customer's record; its dates are the customer's.
FIRST_CONTACT_SOURCES: dict[str, tuple[str, ...]] = {
    **{column: ("interactions.customer_id",)
       for column in ("customer_id", "team_id", "channel", "touchpoint_id", "first_on", "first_for_team")},
    "joined_on": ("interactions.customer_id", "customers.joined_on"),
    "churned_on": ("interactions.customer_id", "customers.churned_on"),
}

# The same for customer_experience_firsts (coverage.DERIVED): a row needs the contact's customer id and that
# customer's record; its since days are those of the experiences' contact columns.
EXPERIENCE_FIRST_SOURCES: dict[str, tuple[str, ...]] = {
    "day": ("interactions.customer_id",),
    "contacts": ("interactions.customer_id",),
    "since_contact": ("interactions.customer_id", "customers.joined_on"),
    "churned_on": ("interactions.customer_id", "customers.churned_on"),
    "since_known_wait": ("interactions.customer_id", "customers.joined_on", "interactions.wait_s"),
    "since_long_wait": ("interactions.customer_id", "customers.joined_on", "interactions.wait_s"),
    "since_escalated": ("interactions.customer_id", "customers.joined_on", "interactions.escalation_depth"),
    "since_low_csat": ("interactions.customer_id", "customers.joined_on", "customer_surveys.csat"),
    "since_known_wait_or_escalated": ("interactions.customer_id", "customers.joined_on", "interactions.wait_s",
                                      "interactions.escalation_depth"),
    "since_known_wait_or_low_csat": ("interactions.customer_id", "customers.joined_on", "interactions.wait_s",
                                     "customer_surveys.csat"),
    "since_any_bad": ("interactions.customer_id", "customers.joined_on", "interactions.wait_s",
                      "interactions.escalation_depth", "customer_surveys.csat"),
    "since_known_wait_or_any_bad": ("interactions.customer_id", "customers.joined_on", "interactions.wait_s",
                                    "interactions.escalation_depth", "customer_surveys.csat"),
}

# The sets of experiences customer_experience_firsts counts first contacts of (its since_ columns).
EXPERIENCE_SETS = ("contact", "known_wait", "long_wait", "escalated", "low_csat", "known_wait_or_escalated",
                   "known_wait_or_low_csat", "any_bad", "known_wait_or_any_bad")

# The same for experience_churn_periods (coverage.DERIVED): a period and a set's count have what the set's
# since day has; its churned count the churn days too.
EXPERIENCE_PERIOD_SOURCES: dict[str, tuple[str, ...]] = {
    "period_from": EXPERIENCE_FIRST_SOURCES["day"],
    "period_to": EXPERIENCE_FIRST_SOURCES["day"],
    **{name: EXPERIENCE_FIRST_SOURCES[f"since_{name}"] for name in EXPERIENCE_SETS},
    **{f"{name}_churned": EXPERIENCE_FIRST_SOURCES[f"since_{name}"] + ("customers.churned_on",)
       for name in EXPERIENCE_SETS},
}

# The same for contact_resolutions and contact_resolution_totals (coverage.DERIVED): their counts are of
# answered, resolved contacts with a recorded resolution time.
RESOLUTION_SOURCES: dict[str, tuple[str, ...]] = {
    "exception_requested": ("interactions.exception_requested",),
    "escalation_depth": ("interactions.escalation_depth",),
    "resolution_s": ("interactions.resolution_s", "interactions.resolved"),
    "contacts": ("interactions.resolution_s", "interactions.resolved"),
}

# The interval of a contact: its queueing time floored to INTERVAL_MINUTES (aligned to the hour).
_INTERVAL_OF = f"time_bucket(interval {INTERVAL_MINUTES} minute, i.queued_at)"

# Contact counts and survey counts are summed apart and joined by interval key, so a contact with two
# survey answers counts once as a contact and twice as answers, as the contact-level queries count.
CONTACT_INTERVALS = f"""
insert into contact_intervals
with contact_counts as (
    select
        {_INTERVAL_OF}                                                    as interval_start,
        i.team_id,
        i.channel,
        i.touchpoint_id,
        count(*)                                                          as offered,
        count(*) filter (where i.abandoned)                               as abandoned,
        count(*) filter (where not i.abandoned)                           as answered,
        count(i.wait_s) filter (where not i.abandoned)                    as answered_with_wait,
        coalesce(sum(i.wait_s) filter (where not i.abandoned), 0)         as answered_wait_s,
        count(*) filter (where not i.abandoned and i.wait_s <= 20)        as answered_within_20s,
        count(*) filter (where i.abandoned and i.wait_s > 20)             as abandoned_after_20s,
        count(i.wait_s) filter (where i.abandoned)                        as abandoned_with_wait,
        coalesce(sum(i.wait_s) filter (where i.abandoned), 0)             as abandoned_wait_s,
        count(i.handle_s) filter (where not i.abandoned)                  as handled,
        coalesce(sum(i.handle_s) filter (where not i.abandoned), 0)       as handle_s,
        count(i.resolved) filter (where not i.abandoned)                  as resolution_known,
        count(*) filter (where not i.abandoned and i.resolved and not i.repeat_within_7d)
                                                                          as first_contact_resolved,
        count(i.escalation_depth) filter (where not i.abandoned)          as depth_recorded,
        count(*) filter (where not i.abandoned and i.escalation_depth > 0) as escalated,
        -- the touchpoint scorecard's rule: an abandoned contact never meets a wait SLA; an abandoned or
        -- unresolved one never meets a resolution SLA; a contact whose time is unrecorded is not judged
        count(*) filter (where tp.sla_measure = 'wait_s' and (i.abandoned or i.wait_s is not null))
                                                                          as wait_sla_judged,
        count(*) filter (where tp.sla_measure = 'wait_s' and not i.abandoned and i.wait_s <= tp.sla_seconds)
                                                                          as wait_sla_met,
        count(*) filter (where tp.sla_measure = 'resolution_s'
                         and (i.abandoned or not i.resolved or i.resolution_s is not null))
                                                                          as resolution_sla_judged,
        count(*) filter (where tp.sla_measure = 'resolution_s' and not i.abandoned and i.resolved
                         and i.resolution_s <= tp.sla_seconds)            as resolution_sla_met
    from interactions as i
    join touchpoints as tp using (touchpoint_id)
    group by all
),

survey_counts as (
    select
        {_INTERVAL_OF}                              as interval_start,
        i.team_id,
        i.channel,
        i.touchpoint_id,
        count(s.csat)                               as csat_answers,
        count(*) filter (where s.csat >= 4)         as csat_satisfied,
        count(s.nps)                                as nps_answers,
        count(*) filter (where s.nps >= 9)          as promoters,
        count(*) filter (where s.nps <= 6)          as detractors,
        count(s.ces)                                as ces_answers,
        coalesce(sum(s.ces), 0)                     as ces_sum
    from interactions as i
    join customer_surveys as s using (interaction_id)
    group by all
)

select
    c.*,
    coalesce(s.csat_answers, 0)     as csat_answers,
    coalesce(s.csat_satisfied, 0)   as csat_satisfied,
    coalesce(s.nps_answers, 0)      as nps_answers,
    coalesce(s.promoters, 0)        as promoters,
    coalesce(s.detractors, 0)       as detractors,
    coalesce(s.ces_answers, 0)      as ces_answers,
    coalesce(s.ces_sum, 0)          as ces_sum
from contact_counts as c
left join survey_counts as s using (interval_start, team_id, channel, touchpoint_id)
-- in time order, so a period filter skips most of the table
order by c.interval_start, c.team_id, c.channel, c.touchpoint_id
"""


KEY = ("interval_start", "team_id", "channel", "touchpoint_id")


def _day_rollup(con: duckdb.DuckDBPyConnection) -> str:
    """contact_days from contact_intervals: every count summed per day (a count no interval holds
    stays NULL: sum() of nothing is NULL, so an unsupplied count stays unsupplied)."""
    counts = [name for (name,) in con.execute(
        "select column_name from duckdb_columns() where table_name = 'contact_intervals' "
        "and schema_name = 'main' order by column_index").fetchall() if name not in KEY]
    # names from DuckDB's catalog of data/schema.sql, never from a user
    sums = ", ".join(f'sum("{name}") as "{name}"' for name in counts)
    return (f"insert into contact_days by name select interval_start::date as day, team_id, channel, touchpoint_id, "
            f"{sums} from contact_intervals group by all order by day, team_id, channel, touchpoint_id")

# Contacts and survey answers per month, team, agent, channel, touchpoint and outcome
# (data/schema.sql): summed by the schema's own macro, the one definition filtered_contact_months also
# uses for a period's partial months. Built a month at a time, so memory is bounded by one month's
# contacts and answers, whatever the store holds (the months come in time order).
CONTACT_MONTHS = """
insert into contact_months
select * from contact_month_rows($month_start, $month_start + interval 1 month, null, null, null, null)
order by team_id, agent_id, channel, touchpoint_id
"""

# contact_months summed over its agents (data/schema.sql, contact_team_months): the column names come
# from DuckDB's catalog of data/schema.sql, never from a user. In time order, so a period filter skips
# the other months.
_TEAM_MONTH_KEY = ("month", "team_id", "channel", "touchpoint_id", "abandoned", "exception_requested",
                   "escalation_depth")


def _team_month_rollup(con: duckdb.DuckDBPyConnection) -> str:
    sums = [name for (name,) in con.execute(
        "select column_name from duckdb_columns() where table_name = 'contact_team_months' "
        "and schema_name = 'main' order by column_index").fetchall() if name not in _TEAM_MONTH_KEY]
    return (f"insert into contact_team_months by name select {', '.join(_TEAM_MONTH_KEY)}, "
            + ", ".join(f'sum("{name}") as "{name}"' for name in sums)
            + " from contact_months group by all order by month, team_id, channel, touchpoint_id")


# The same sums per day the contacts joined the queue (contact_team_days): contact_month_rows' sums
# (data/schema.sql) with the day for the month and no agent, the test suite holding them equal to
# contact_team_months month by month. A month of contacts at a time, as contact_months, so memory is
# bounded by one month's contacts and answers; in time order, so a period filter skips the rest.
CONTACT_TEAM_DAYS = """
insert into contact_team_days
-- not materialized, as in contact_month_rows: the answers are then read only within the span of the
-- month's contact ids
with contacts as not materialized (
    select *
    from interactions
    where queued_at >= $month_start and queued_at < $month_start + interval 1 month
),

-- each contact's answers, counted before the join, so a contact counts once however many it has
answers_per_contact as (
    select
        c.interaction_id,
        count(*)                                 as answers,
        count(s.csat)                            as csat_answers,
        count(*) filter (where s.csat >= 4)      as csat_satisfied,
        count(s.nps)                             as nps_answers,
        count(*) filter (where s.nps >= 9)       as promoters,
        count(*) filter (where s.nps <= 6)       as detractors
    from contacts as c
    join customer_surveys as s using (interaction_id)
    group by c.interaction_id
)

select
    c.queued_at::date as day, c.team_id, c.channel, c.touchpoint_id,
    c.abandoned, c.exception_requested, c.escalation_depth,
    count(*)                                                      as contacts,
    count(c.handle_s)                                             as handled,
    sum(c.handle_s)::bigint                                       as handle_s,
    sum(c.handle_s::hugeint * c.handle_s)                         as handle_s_squared,
    count(c.resolved)                                             as resolution_known,
    count(*) filter (where c.resolved)                            as resolved,
    count(*) filter (where c.resolved and not c.repeat_within_7d) as first_contact_resolved,
    count(a.interaction_id)                                       as surveyed,
    coalesce(sum(a.answers), 0)::bigint                           as survey_answers,
    coalesce(sum(a.csat_answers), 0)::bigint                      as csat_answers,
    coalesce(sum(a.csat_satisfied), 0)::bigint                    as csat_satisfied,
    coalesce(sum(a.nps_answers), 0)::bigint                       as nps_answers,
    coalesce(sum(a.promoters), 0)::bigint                         as promoters,
    coalesce(sum(a.detractors), 0)::bigint                        as detractors
from contacts as c
left join answers_per_contact as a using (interaction_id)
group by all
order by day, c.team_id, c.channel, c.touchpoint_id
"""


def build_team_months(con: duckdb.DuckDBPyConnection) -> None:
    """contact_team_months (from contact_months, so built after it) and contact_team_days (from the
    contacts): empty without contacts, as contact_months."""
    con.execute("delete from contact_team_months")
    con.execute("delete from contact_team_days")
    con.execute(_team_month_rollup(con))
    for month_start in contact_month_starts(con):
        con.execute(CONTACT_TEAM_DAYS, {"month_start": month_start})


# Contacts and CSAT answers per day, team, channel, touchpoint and wait bucket (data/schema.sql), bucketed
# by the schema's wait_bucket(), the one definition of the buckets. A month of contacts at a time, as
# contact_months, so memory is bounded by one month's contacts and answers. Each answered contact's
# answers are counted before the join, so a contact counts once as offered however many answers it has,
# and every answer counts as the CSAT-by-wait figure counts it.
CONTACT_WAIT_DAYS = """
insert into contact_wait_days
with contacts as (
    select interaction_id, queued_at, team_id, channel, touchpoint_id, wait_s, abandoned
    from interactions
    where queued_at >= $month_start and queued_at < $month_start + interval 1 month
),

answers_per_contact as (
    -- only answered contacts count their answers (as the CSAT-by-wait figure: an answer on an abandoned
    -- contact has no wait before an answer)
    select
        c.interaction_id,
        count(s.csat)                           as csat_answers,
        count(*) filter (where s.csat >= 4)     as csat_satisfied
    from contacts as c
    join customer_surveys as s using (interaction_id)
    where not c.abandoned
    group by c.interaction_id
)

select
    c.queued_at::date                                 as day,
    c.team_id,
    c.channel,
    c.touchpoint_id,
    wait_bucket(c.wait_s)                             as wait_bucket,
    count(*)                                          as offered,
    count(*) filter (where c.abandoned)               as abandoned,
    coalesce(sum(a.csat_answers), 0)                  as csat_answers,
    coalesce(sum(a.csat_satisfied), 0)                as csat_satisfied
from contacts as c
left join answers_per_contact as a using (interaction_id)
group by all
order by day, c.team_id, c.channel, c.touchpoint_id, wait_bucket
"""


# Per customer and team x channel x touchpoint, the day of the first contact, with the customer's joining
# and churn dates (data/schema.sql): what scoped customer churn reads (filtered_customers). Built a batch of
# teams at a time (BATCH_CONTACTS contacts at most, unless one team alone has more), each batch in team
# order: memory is bounded by a batch's customers, and a team filter reads only its team's rows.
CUSTOMER_FIRST_CONTACTS = """
insert into customer_first_contacts
select
    f.customer_id, f.team_id, f.channel, f.touchpoint_id, f.first_on,
    -- one row per customer and team: its earliest (ties broken by channel and touchpoint)
    row_number() over (partition by f.customer_id, f.team_id order by f.first_on, f.channel, f.touchpoint_id) = 1
        as first_for_team,
    c.joined_on, c.churned_on
from (
    select customer_id, team_id, channel, touchpoint_id, min(queued_at)::date as first_on
    from interactions
    where team_id between $first_team and $last_team and customer_id is not null
    group by all
) as f
join customers as c using (customer_id)
-- first_on too, so a team's churn reads only the rows first served inside the period
order by f.team_id, f.first_on
"""

BATCH_CONTACTS = 10_000_000


def team_batches(con: duckdb.DuckDBPyConnection, most: int = BATCH_CONTACTS) -> list[tuple[int, int]]:
    """Consecutive team ids in batches of at most `most` contacts (a team with more is a batch alone):
    (first team id, last team id) each, in order."""
    batches: list[tuple[int, int]] = []
    held = 0
    for team_id, contacts in con.execute("select team_id, count(*) from interactions group by team_id "
                                         "order by team_id").fetchall():
        if batches and held + contacts <= most:
            batches[-1] = (batches[-1][0], team_id)
            held += contacts
        else:
            batches.append((team_id, team_id))
            held = contacts
    return batches


# Customers' first contacts of each set of experiences in any period (data/schema.sql), from the schema's
# customer_experience_first_rows, the one definition a scope's store also uses. A batch of customers at a
# time (about BATCH_CONTACTS contacts), so the window over each customer's contacts fits in memory (all at
# once, 100M contacts took 4 GB and spilled); then the batches' rows summed by key, in day order, so a
# period reads only its days, then by every other column, so alike values lie together and the columns
# compress to fewer bits (a period's rows read in about half the time).
EXPERIENCE_FIRST_BATCHES = "create temp table experience_first_batches as from customer_experience_firsts limit 0"
EXPERIENCE_FIRST_BATCH = """
insert into experience_first_batches
select * exclude (team_id) from customer_experience_first_rows($after_customer, $upto_customer, null, null)
"""
CUSTOMER_EXPERIENCE_FIRSTS = """
insert into customer_experience_firsts
select * exclude (contacts), sum(contacts)::bigint as contacts
from experience_first_batches
group by all
order by all
"""
# The same per team (customer_team_experience_firsts), a batch of teams at a time (team_batches): a team's
# rows are all in its batch, so the batches go straight in, each in order, teams in order; so a team's
# period reads only its team's days. (Batches of customers, summed at the end, took 12.9 GB at 100M
# contacts.) By team and day only, not every column: a team's period is a few row groups however its
# other columns compress (at 10M contacts: built in 7.2 s instead of 8.6, 118 MB instead of 109, a team's
# month summed in the same 1.5 ms).
CUSTOMER_TEAM_EXPERIENCE_FIRSTS = """
insert into customer_team_experience_firsts
select * from customer_experience_first_rows(null, null, $first_team, $last_team)
order by team_id, day
"""

# experience_churn_periods holds the periods starting within this many days before the last contact day
# (two years): a one-year store's periods are 67K rows, a two-year one's 267K; older periods read the
# first contacts themselves.
CHURN_PERIOD_DAYS = 731


def experience_churn_periods_sql(days: int = CHURN_PERIOD_DAYS) -> str:
    """Customer churn by experience counted for every period of whole days starting inside the last
    `days` days of customer_experience_firsts (data/schema.sql: experience_churn_periods).

    A first-contact row (day d, since day s, churn day c, n contacts) counts in the period [F, T]
    exactly when s < F <= d, F <= c (or no churn day) and d <= T, as the query's filters say; as
    churned when also c <= T. So it adds n to every period whose start lies in [s + 1, min(d, c)] and
    whose end is at least d (at least max(d, c) for the churned count). Each row is two changes at its
    end day, +n where its starts open and -n where they close; the sums over all starts up to F and
    ends up to T (running sums along both) are then every period's counts. Changes before the first
    day kept count from it (greatest); those after the last day never count."""
    sets = ", ".join(f"('{name}', r.since_{name})" for name in EXPERIENCE_SETS)
    columns = [f"{name}{suffix}" for suffix in ("", "_churned") for name in EXPERIENCE_SETS]
    pivot = ",\n        ".join(f"sum(change) filter (where set_name = '{name}' and {'' if suffix else 'not '}churned) "
                               f"as {name}{suffix}" for suffix in ("", "_churned") for name in EXPERIENCE_SETS)
    placed = ", ".join(f"coalesce(c.{column}, 0) as {column}" for column in columns)
    over = lambda window: ", ".join(f"sum({column}) over {window} as {column}" for column in columns)  # noqa: E731
    final = ", ".join(f"{column}::bigint as {column}" for column in columns)
    return f"""
with bounds as (
    select max(day) as last_day, greatest(min(day), max(day) - {int(days) - 1}) as first_day
    from customer_experience_firsts
),

spans as (
    -- each row's periods of each set: starts from the day after since_ to the earlier of its day and churn day
    select x.set_name, r.day, r.churned_on, r.contacts, x.since + 1 as opens,
           least(r.day, coalesce(r.churned_on, r.day)) + 1 as closes
    from customer_experience_firsts as r,
    lateral (values {sets}) as x(set_name, since)
    where x.since < least(r.day, coalesce(r.churned_on, r.day))
),

changes as (
    select s.set_name, e.churned, greatest(e.starts, b.first_day) as period_from,
           greatest(e.ends, b.first_day) as period_to, sum(e.change) as change
    from spans as s, bounds as b,
    lateral (values (false, s.opens, s.day, s.contacts), (false, s.closes, s.day, -s.contacts),
                    (true, s.opens, greatest(s.day, s.churned_on), s.contacts),
                    (true, s.closes, greatest(s.day, s.churned_on), -s.contacts)) as e(churned, starts, ends, change)
    where (not e.churned or s.churned_on is not null) and e.starts <= b.last_day and e.ends <= b.last_day
    group by all
),

pivoted as (
    select
        period_from,
        period_to,
        {pivot}
    from changes
    group by all
),

days as (
    select unnest(generate_series(first_day, last_day, interval 1 day))::date as day from bounds
),

placed as (
    select f.day as period_from, t.day as period_to, {placed}
    from days as f
    cross join days as t
    left join pivoted as c on c.period_from = f.day and c.period_to = t.day
),

over_starts as (
    select period_from, period_to, {over("(partition by period_to order by period_from rows unbounded preceding)")}
    from placed
),

over_both as (
    select period_from, period_to, {over("(partition by period_from order by period_to rows unbounded preceding)")}
    from over_starts
)

select period_from, period_to, {final}
from over_both
where period_from <= period_to
order by period_from, period_to
"""


EXPERIENCE_CHURN_PERIODS = experience_churn_periods_sql()


# Resolved contacts per month, team, channel, touchpoint, exception request, level and time to
# resolution (data/schema.sql), counted by the schema's resolution_count_rows, the one definition
# filtered_resolutions also uses for a period's partial months. A month at a time, as contact_months,
# so memory is bounded by one month's contacts; in time order, so a period filter skips the rest.
CONTACT_RESOLUTIONS = """
insert into contact_resolutions
select * from resolution_count_rows($month_start, $month_start + interval 1 month, null, null, null, null)
order by team_id, channel, touchpoint_id, exception_requested, escalation_depth, resolution_s
"""

# The same summed over every cell, for a period with no site, team, channel or touchpoint filter.
CONTACT_RESOLUTION_TOTALS = """
insert into contact_resolution_totals
select month, exception_requested, escalation_depth, resolution_s, sum(contacts)::bigint as contacts
from contact_resolutions
group by all
order by month, exception_requested, escalation_depth, resolution_s
"""


# ---- Rollups for customer churn's day pairs (more below) ----

# The same for customer_span_counts (coverage.DERIVED): the customers' own dates.
SPAN_SOURCES: dict[str, tuple[str, ...]] = {
    "joined_on": ("customers.joined_on",),
    "churned_on": ("customers.churned_on",),
    "customers": ("customers.joined_on",),
}

# Customers per joining and churn day (data/schema.sql): what the whole company's customer churn sums
# (customer_churn_counts). Built from the customers alone, so also for a store without contacts.
CUSTOMER_SPAN_COUNTS = """
insert into customer_span_counts
select joined_on, churned_on, count(*) as customers
from customers
group by all
order by joined_on, churned_on
"""


# The interval counts contact_hours and contact_hour_totals sum per day and hour (data/schema.sql).
HOUR_COUNTS = ("offered", "answered", "answered_with_wait", "answered_wait_s", "answered_within_20s", "abandoned",
               "abandoned_after_20s")
_HOUR_SUMS = ", ".join(f"sum({name})::bigint as {name}" for name in HOUR_COUNTS)   # names from this module

# From the intervals (contacts' or imported): each interval lies inside one hour; in team order, so a team
# filter skips the other teams' rows.
CONTACT_HOURS = f"""
insert into contact_hours
select interval_start::date as day, hour(interval_start) as hour, team_id, channel, touchpoint_id, {_HOUR_SUMS}
from contact_intervals
group by all
order by team_id, day, hour, channel, touchpoint_id
"""

# Summed over the cells; also what a scope's store sums from its own hours (scopes.KEPT_ROWS).
HOUR_TOTALS = f"select day, hour, {_HOUR_SUMS} from contact_hours group by all order by day, hour"


# The same for escalated_exception_days (coverage.DERIVED).
ESCALATED_SOURCES: dict[str, tuple[str, ...]] = {
    "exception_amount": ("interactions.exception_amount", "interactions.exception_requested",
                         "interactions.escalation_depth"),
    "escalations": ("interactions.exception_requested", "interactions.escalation_depth"),
    "waited_us": ("interactions.decided_at", "interactions.exception_requested", "interactions.escalation_depth"),
}

# Escalated exception requests per day, team, channel, touchpoint and amount (data/schema.sql), the rows the
# what-if reads; a month of contacts at a time, as contact_months, so memory is bounded by one month's.
ESCALATED_EXCEPTION_DAYS = """
insert into escalated_exception_days
select
    queued_at::date                                          as day,
    team_id,
    channel,
    touchpoint_id,
    exception_amount,
    count(*)                                                 as escalations,
    sum(epoch_us(decided_at) - epoch_us(ended_at))::bigint   as waited_us
from interactions
where queued_at >= $month_start and queued_at < $month_start + interval 1 month
  and not abandoned and exception_requested and escalation_depth > 0
group by all
order by day, team_id, channel, touchpoint_id, exception_amount
"""


# customer_team_span_counts from customer_first_contacts (one row per customer and team: first_for_team).
CUSTOMER_TEAM_SPAN_COUNTS = """
insert into customer_team_span_counts
select team_id, greatest(first_on, joined_on) as reached_on, churned_on, count(*) as customers
from customer_first_contacts
where first_for_team
group by all
order by team_id, reached_on, churned_on
"""

TEAM_SPAN_SOURCES: dict[str, tuple[str, ...]] = {
    "team_id": ("interactions.customer_id",),
    "reached_on": ("interactions.customer_id", "customers.joined_on"),
    "churned_on": ("interactions.customer_id", "customers.churned_on"),
    "customers": ("interactions.customer_id",),
}


# Customers joining and churning per day (data/schema.sql); also what a scope's store counts from its own
# customers (scopes.KEPT_ROWS).
CUSTOMER_DAYS = """
select day, sum(joined)::bigint as joined, sum(churned)::bigint as churned
from (
    select joined_on as day, 1 as joined, 0 as churned from customers
    union all
    select churned_on, 0, 1 from customers where churned_on is not null
)
group by day
order by day
"""

DAY_COUNT_SOURCES: dict[str, tuple[str, ...]] = {
    "day": ("customers.joined_on",),
    "joined": ("customers.joined_on",),
    "churned": ("customers.churned_on",),
}


def build_fast_kpis(con: duckdb.DuckDBPyConnection) -> None:
    """The rollups for churn counts, hours and the what-if (data/schema.sql): customer_span_counts, customer_day_counts, customer_team_span_counts (after
    customer_first_contacts), contact_hours, contact_hour_totals and escalated_exception_days."""
    con.execute("delete from customer_span_counts")
    con.execute(CUSTOMER_SPAN_COUNTS)
    con.execute("delete from customer_day_counts")
    con.execute(f"insert into customer_day_counts {CUSTOMER_DAYS}")
    con.execute("delete from customer_team_span_counts")
    con.execute(CUSTOMER_TEAM_SPAN_COUNTS)
    con.execute("delete from contact_hours")
    con.execute("delete from contact_hour_totals")
    con.execute(CONTACT_HOURS)
    con.execute(f"insert into contact_hour_totals {HOUR_TOTALS}")
    con.execute("delete from escalated_exception_days")
    for month_start in contact_month_starts(con):
        con.execute(ESCALATED_EXCEPTION_DAYS, {"month_start": month_start})


def has_contacts(con: duckdb.DuckDBPyConnection) -> bool:
    # fetchall, not fetchone: an unfinished result left open on the connection blocks its next register()
    return con.execute("select exists (select 1 from interactions)").fetchall()[0][0]


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuilds every rollup from the store's rows. The interval table is rebuilt from the contacts
    when the store holds contacts; a store without contacts keeps the interval rows it was given (an
    imported interval report), since there is nothing to rebuild them from."""
    if has_contacts(con):
        con.execute("delete from contact_intervals")
        con.execute(CONTACT_INTERVALS)
    con.execute("delete from contact_days")
    con.execute(_day_rollup(con))
    # months, wait days and customers' first contacts: empty without contacts (an interval report has no
    # agents, outcomes, single waits or customers)
    con.execute("delete from contact_months")
    con.execute("delete from contact_wait_days")
    for month_start in contact_month_starts(con):
        con.execute(CONTACT_MONTHS, {"month_start": month_start})
        con.execute(CONTACT_WAIT_DAYS, {"month_start": month_start})
    con.execute("delete from customer_first_contacts")
    for first_team, last_team in team_batches(con):
        con.execute(CUSTOMER_FIRST_CONTACTS, {"first_team": first_team, "last_team": last_team})
    build_experience_firsts(con)
    build_resolutions(con)
    build_team_months(con)
    build_fast_kpis(con)


def build_experience_firsts(con: duckdb.DuckDBPyConnection, most: int = BATCH_CONTACTS) -> None:
    """customer_experience_firsts from the contacts, a batch of customers at a time, then
    experience_churn_periods from it; customer_team_experience_firsts a batch of teams at a time."""
    con.execute("delete from customer_experience_firsts")
    con.execute("delete from customer_team_experience_firsts")
    con.execute("drop table if exists experience_first_batches")
    con.execute(EXPERIENCE_FIRST_BATCHES)
    try:
        for after, upto in customer_batches(con, most):
            con.execute(EXPERIENCE_FIRST_BATCH, {"after_customer": after, "upto_customer": upto})
        con.execute(CUSTOMER_EXPERIENCE_FIRSTS)
    finally:
        con.execute("drop table experience_first_batches")
    for first_team, last_team in team_batches(con, most):
        con.execute(CUSTOMER_TEAM_EXPERIENCE_FIRSTS, {"first_team": first_team, "last_team": last_team})
    con.execute("delete from experience_churn_periods")
    con.execute(f"insert into experience_churn_periods {EXPERIENCE_CHURN_PERIODS}")


def customer_batches(con: duckdb.DuckDBPyConnection, most: int = BATCH_CONTACTS) -> list[tuple[int | None, int | None]]:
    """Ranges of customer ids (after, up to; None: no bound) that together hold every customer, each about
    `most` contacts (a customer's contacts are never split): cut at approximate quantiles of the contacts'
    customer ids, so skewed ids still give even batches."""
    contacts, = con.execute("select count(customer_id) from interactions").fetchall()[0]
    pieces = -(-contacts // most)
    cuts: list[int] = []
    if pieces > 1:
        cuts = sorted(set(con.execute("select approx_quantile(customer_id, $at::float[]) from interactions",
                                      {"at": [k / pieces for k in range(1, pieces)]}).fetchall()[0][0]))
    bounds: list[int | None] = [None, *cuts, None]
    return list(zip(bounds[:-1], bounds[1:]))


def build_resolutions(con: duckdb.DuckDBPyConnection) -> None:
    """contact_resolutions and contact_resolution_totals from the contacts: empty without contacts (an
    interval report has no single resolution times)."""
    con.execute("delete from contact_resolutions")
    con.execute("delete from contact_resolution_totals")
    for month_start in contact_month_starts(con):
        con.execute(CONTACT_RESOLUTIONS, {"month_start": month_start})
    con.execute(CONTACT_RESOLUTION_TOTALS)


def contact_month_starts(con: duckdb.DuckDBPyConnection) -> list[dt.datetime]:
    """The first moment of every calendar month from the first contact's to the last one's."""
    first, last = con.execute("select date_trunc('month', min(queued_at)), date_trunc('month', max(queued_at)) "
                              "from interactions").fetchone()
    months = []
    while first is not None and first <= last:
        months.append(first)
        first = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return months
