"""The page queries that read the monthly rollup (contact_months, through filtered_contact_months) or the
wait-bucket rollup (contact_wait_days, through filtered_wait_days), or were rewritten for speed
(customer churn) give exactly the figures of the SQL they replaced, which read every contact: the
previous SQL is kept here as the independent computation and run on the same store, at whole, partial
and scoped periods. And the rollups themselves: their sums equal the contacts', a period ending on a
store's last day of data takes the last partial month from the rollup and still gives the contacts'
figures, and a scope's stores (pages and lab) keep exactly the scope's rows."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import polars as pl
import pytest
from conftest import OVERVIEW_FROM_CONTACTS
from polars.testing import assert_frame_equal

from dashboard import catalogue, config, coverage, filters, rollups, scopes, store

# The SQL each query file held before it read the rollup or was rewritten (commit e19aa55 unless said), after
# its header. The REWRITTEN ones read no rollup: their SQL was rewritten (see the files).
PREVIOUS_SQL = {
    # the two wait-bucket figures: as they were at commit 41a20e8, reading every contact of the period
    "wait_times_csat_by_wait": """
with wait_buckets (bucket_order, wait_bucket) as (
    -- one row per bucket, in wait order, so every bucket shows even when empty
    values (1, '0-10 s'), (2, '10-30 s'), (3, '30-60 s'), (4, '1-2 min'), (5, '2-5 min'),
           (6, '5-10 min'), (7, '10 min+')
),

answered_contacts as (
    select interaction_id, wait_s
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
),

surveyed_contacts as (
    -- only answered contacts are surveyed; wait_s is their time in queue until an agent answered
    select
        case
            when i.wait_s < 10 then 1
            when i.wait_s < 30 then 2
            when i.wait_s < 60 then 3
            when i.wait_s < 120 then 4
            when i.wait_s < 300 then 5
            when i.wait_s < 600 then 6
            when i.wait_s >= 600 then 7
        end as bucket_order,  -- null when the wait is not recorded: no bucket at all
        s.csat
    from answered_contacts as i
    join customer_surveys as s using (interaction_id)
    where s.csat is not null
      -- only the answers within the span of the contacts' ids are read: ids follow time in most stores, so
      -- a quarter's contacts read a quarter's answers, not all of them (the result is the same)
      and s.interaction_id between (select min(interaction_id) from answered_contacts)
                               and (select max(interaction_id) from answered_contacts)
),

bucket_totals as (
    select
        bucket_order,
        count(*)                             as answers,
        count(*) filter (where csat >= 4)    as satisfied
    from surveyed_contacts
    group by bucket_order
)

select
    b.bucket_order,
    b.wait_bucket,
    100.0 * t.satisfied / nullif(t.answers, 0)           as csat,
    100.0 * wilson_lower(t.satisfied, t.answers)         as csat_low,
    100.0 * wilson_upper(t.satisfied, t.answers)         as csat_high,
    coalesce(t.answers, 0)                               as survey_answers,
    -- added with the chart's reading (the previous SQL's own count, from the contacts)
    coalesce(t.satisfied, 0)                             as satisfied_answers
from wait_buckets as b
-- a full join keeps the answers of no bucket (null wait): the chart leaves them out and counts them
full join bucket_totals as t using (bucket_order)
-- no rows at all (rather than seven empty buckets) when the filters leave no survey answers
where exists (select 1 from bucket_totals)
order by b.bucket_order
""",
    "wait_times_abandon_by_wait": """
with wait_buckets (bucket_order, wait_bucket) as (
    values (1, '0-10 s'), (2, '10-30 s'), (3, '30-60 s'), (4, '1-2 min'), (5, '2-5 min'),
           (6, '5-10 min'), (7, '10 min+')
),

contacts as (
    select
        channel,
        case
            when wait_s < 10 then 1
            when wait_s < 30 then 2
            when wait_s < 60 then 3
            when wait_s < 120 then 4
            when wait_s < 300 then 5
            when wait_s < 600 then 6
            when wait_s >= 600 then 7
        end as bucket_order,  -- null when the time in queue is not recorded: no bucket at all
        abandoned
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

bucket_totals as (
    -- each channel, and all channels pooled, in one pass
    select
        case when grouping(channel) = 1 then 'All channels' else channel end as series,
        bucket_order,
        count(*)                               as offered,
        count(*) filter (where abandoned)      as abandoned
    from contacts
    group by grouping sets ((channel, bucket_order), (bucket_order))
),

series_in_scope as (
    -- the pooled line only adds something when it mixes several channels
    select distinct series
    from bucket_totals
    where (series <> 'All channels' or (select count(distinct channel) from contacts) > 1)
      -- without a recorded wait for any lost contact, every rate would read 0 %: show nothing instead
      and exists (select 1 from contacts where abandoned and bucket_order is not null)
),

series_buckets as (
    -- every bucket on every line, so each line lists the buckets in wait order
    select s.series, b.bucket_order, b.wait_bucket
    from series_in_scope as s
    cross join wait_buckets as b
),

-- the line's buckets, then the contacts of no bucket once per channel (the pooled line would count
-- them twice): the chart leaves those out and counts them
every_row as (
    select
        g.series,
        g.bucket_order,
        g.wait_bucket,
        100.0 * t.abandoned / nullif(t.offered, 0)            as abandon_rate,
        100.0 * wilson_lower(t.abandoned, t.offered)          as abandon_rate_low,
        100.0 * wilson_upper(t.abandoned, t.offered)          as abandon_rate_high,
        coalesce(t.offered, 0)                                as offered,
        coalesce(t.abandoned, 0)                              as abandoned
    from series_buckets as g
    left join bucket_totals as t using (series, bucket_order)
    union all
    select series, null, null, null, null, null, offered, abandoned
    from bucket_totals
    where bucket_order is null and series <> 'All channels'
)

select *
from every_row
order by series = 'All channels', series, bucket_order nulls last
""",
    "attrition_customer_churn": """
with contacts as (
    select i.customer_id, i.abandoned, i.wait_s, i.escalation_depth, s.csat
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint) as i
    left join customer_surveys as s using (interaction_id)
    where i.customer_id is not null
),

experiences as (
    select
        customer_id,
        -- null when no contact of the customer has a recorded wait (and none was abandoned): unknown
        bool_or(abandoned or wait_s > 300)                   as long_wait,
        bool_or(coalesce(escalation_depth, 0) >= 2)          as escalated,
        bool_or(coalesce(csat <= 2, false))                  as low_csat
    from contacts
    group by customer_id
),

active_at_start as (
    select customer_id, churned_on
    from customers
    where joined_on < $date_from and (churned_on is null or churned_on >= $date_from)
),

in_scope as (
    select
        a.customer_id,
        coalesce(a.churned_on <= $date_to, false) as churned,
        e.long_wait,
        e.escalated,
        e.low_csat
    from active_at_start as a
    join experiences as e using (customer_id)
),

-- a store without waits shows no wait experience at all (row_needs), so nobody is left out for it
customer_experiences as (
    select
        customer_id,
        churned,
        coalesce(long_wait, false)                as long_wait,
        escalated,
        low_csat,
        coalesce(long_wait, false) or escalated or low_csat as any_bad
    from in_scope
    where long_wait is not null or not supplied('interactions', 'wait_s')
),

-- one row per customer and experience, so each experience splits the same customers in two
long_form as (
    select 1 as experience_order, 'Long wait (> 5 min) or abandoned' as experience, long_wait as had_it, churned
    from customer_experiences
    union all
    select 2, 'Escalated to a manager or above', escalated, churned from customer_experiences
    union all
    select 3, 'Low CSAT answer (1-2)', low_csat, churned from customer_experiences
    union all
    select 4, 'Any of the three', any_bad, churned from customer_experiences
),

grouped as (
    select experience_order, experience, had_it, count(*) as customers, count(*) filter (where churned) as churned
    from long_form
    group by experience_order, experience, had_it
    union all
    -- the customers whose wait is unknown belong to no experience: the chart leaves them out and counts them
    select 5, null, null, count(*), count(*) filter (where churned)
    from in_scope
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
""",
    # the overview as it was before the interval table: straight from the contacts, the file test_intervals.py
    # also compares against (the churn rewrite and the layer both checked by it)
    "overview_customer_kpis": OVERVIEW_FROM_CONTACTS,
    "teams_agent_table": """
with answered_contacts as (
    select *
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned and agent_id is not null
),

contacts_per_agent as (
    select
        c.agent_id,
        mode(c.team_name)                                                  as team_name,  -- the team they took most contacts for
        count(*)                                                           as answered,
        -- each ratio counts the contacts whose input is known, as the overview's KPIs do
        count(c.handle_s)                                                  as handled,
        sum(c.handle_s)                                                    as handle_s,
        count(c.resolved)                                                  as resolution_known,
        count(*) filter (where c.resolved and not c.repeat_within_7d)      as first_contact_resolved,
        count(c.escalation_depth)                                          as depth_recorded,
        count(*) filter (where c.escalation_depth > 0)                     as escalated,
        count(s.csat)                                                      as survey_answers,
        count(*) filter (where s.csat >= 4)                                as satisfied
    from answered_contacts as c
    left join customer_surveys as s using (interaction_id)
    group by c.agent_id
)

select
    a.agent_name,
    c.team_name,
    c.satisfied,
    c.survey_answers,
    c.answered,
    c.handle_s / nullif(c.handled, 0)                                    as aht_s,
    100.0 * c.first_contact_resolved / nullif(c.resolution_known, 0)     as fcr_pct,
    100.0 * c.escalated / nullif(c.depth_recorded, 0)                    as escalation_pct
from contacts_per_agent as c
join agents as a using (agent_id)
order by a.agent_name
""",
    "management_training_team_months": """
with scoped_agents as (
    select * from filtered_agents($site, $team)
),

-- headcount as the mean of the month's first and last day, as for attrition: hours per seat filled
team_headcount as (
    select team_name, month, average_headcount
    from team_month_attrition($date_from, $date_to, $site, $team)
),

team_training as (
    select a.team_name, date_trunc('month', t.held_on)::date as month, sum(t.training_hours) as training_hours
    from training as t
    join scoped_agents as a using (agent_id)
    where t.held_on between $date_from and $date_to
      and t.topic <> 'onboarding'  -- new hires' onboarding comes with low tenure and would mix the two
    group by all
),

team_contacts as (
    select
        i.team_name,
        date_trunc('month', i.queued_at)::date                                        as month,
        count(i.resolved) filter (where not i.abandoned)                              as resolution_known,  -- FCR's base: answered contacts whose resolution is recorded, as the KPI
        count(*) filter (where not i.abandoned and i.resolved and not i.repeat_within_7d) as first_contact_resolved,
        count(s.csat)                                                                 as survey_answers,
        count(*) filter (where s.csat >= 4)                                           as satisfied
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint) as i
    left join customer_surveys as s using (interaction_id)
    group by all
),

team_months as (
    select
        c.team_name,
        c.month,
        coalesce(t.training_hours, 0) / h.average_headcount   as training_h_per_agent,
        c.resolution_known,
        c.first_contact_resolved,
        c.survey_answers,
        c.satisfied
    from team_contacts as c
    join team_headcount as h using (team_name, month)
    left join team_training as t using (team_name, month)
    where h.average_headcount > 0
)

-- long form: one row per team-month and measure, so both share the chart and keep their own n
select team_name, strftime(month, '%Y-%m') as month, round(training_h_per_agent, 2) as training_h_per_agent,
       'FCR %' as measure, 100.0 * first_contact_resolved / resolution_known as pct, resolution_known as n
from team_months
where resolution_known > 0
union all
select team_name, strftime(month, '%Y-%m'), round(training_h_per_agent, 2),
       'CSAT %', 100.0 * satisfied / survey_answers, survey_answers
from team_months
where survey_answers > 0
order by measure, training_h_per_agent
""",
    "management_training_buckets": """
with scoped_agents as (
    select * from filtered_agents($site, $team)
),

-- headcount as the mean of the month's first and last day, as for attrition: hours per seat filled
team_headcount as (
    select team_name, month, average_headcount
    from team_month_attrition($date_from, $date_to, $site, $team)
),

team_training as (
    select a.team_name, date_trunc('month', t.held_on)::date as month, sum(t.training_hours) as training_hours
    from training as t
    join scoped_agents as a using (agent_id)
    where t.held_on between $date_from and $date_to
      and t.topic <> 'onboarding'  -- new hires' onboarding comes with low tenure and would mix the two
    group by all
),

team_contacts as (
    select
        i.team_name,
        date_trunc('month', i.queued_at)::date                                        as month,
        count(i.resolved) filter (where not i.abandoned)                              as resolution_known,  -- FCR's base: answered contacts whose resolution is recorded, as the KPI
        count(*) filter (where not i.abandoned and i.resolved and not i.repeat_within_7d) as first_contact_resolved,
        count(s.csat)                                                                 as survey_answers,
        count(*) filter (where s.csat >= 4)                                           as satisfied
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint) as i
    left join customer_surveys as s using (interaction_id)
    group by all
),

bucketed as (
    select
        c.*,
        case
            when coalesce(t.training_hours, 0) / h.average_headcount < 2 then 0
            when coalesce(t.training_hours, 0) / h.average_headcount < 4 then 1
            when coalesce(t.training_hours, 0) / h.average_headcount < 6 then 2
            else 3
        end as bucket_order
    from team_contacts as c
    join team_headcount as h using (team_name, month)
    left join team_training as t using (team_name, month)
    where h.average_headcount > 0
),

per_bucket as (
    select
        bucket_order,
        ['under 2 h', '2-4 h', '4-6 h', '6 h and more'][bucket_order + 1] as training_bucket,
        count(*)                       as team_months,
        sum(resolution_known)::bigint          as resolution_known,
        sum(first_contact_resolved)::bigint as first_contact_resolved,
        sum(survey_answers)::bigint   as survey_answers,
        sum(satisfied)::bigint        as satisfied
    from bucketed
    group by bucket_order
)

select training_bucket, 'FCR %' as measure, bucket_order,
       100.0 * first_contact_resolved / resolution_known                 as pct,
       100.0 * wilson_lower(first_contact_resolved, resolution_known)    as pct_low,
       100.0 * wilson_upper(first_contact_resolved, resolution_known)    as pct_high,
       -- hits: added with the chart's reading (the previous SQL's own counts, from the contacts)
       team_months, resolution_known as n, first_contact_resolved as hits
from per_bucket
where resolution_known > 0
union all
select training_bucket, 'CSAT %', bucket_order,
       100.0 * satisfied / survey_answers,
       100.0 * wilson_lower(satisfied, survey_answers),
       100.0 * wilson_upper(satisfied, survey_answers),
       team_months, survey_answers, satisfied
from per_bucket
where survey_answers > 0
order by bucket_order, measure desc
""",
    "escalations_csat_by_depth": """
with answered as (
    select interaction_id, exception_requested, escalation_depth
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
),

-- contacts without an exception are the baseline: nothing needed deciding
labelled as (
    select
        interaction_id,
        case when not exception_requested then -1 when exception_requested then escalation_depth end as depth_order,
        -- an unknown request flag or level is no level at all: null, left out of the chart and counted
        case
            when exception_requested is null then null
            when not exception_requested then 'No exception asked'
            when escalation_depth = 0 then '0 · agent'
            when escalation_depth = 1 then '1 · team lead'
            when escalation_depth = 2 then '2 · manager'
            when escalation_depth >= 3 then '3 · senior management'
        end as decided_by
    from answered
),

answers as (
    select l.decided_by, l.depth_order, count(s.csat) as survey_answers,
           count(*) filter (where s.csat >= 4) as satisfied_answers
    from labelled as l
    join customer_surveys as s using (interaction_id)
    group by l.decided_by, l.depth_order
)

select
    decided_by,
    survey_answers,
    satisfied_answers,
    100.0 * satisfied_answers / nullif(survey_answers, 0)        as csat_pct,
    100.0 * wilson_lower(satisfied_answers, survey_answers)      as csat_low_pct,
    100.0 * wilson_upper(satisfied_answers, survey_answers)      as csat_high_pct,
    depth_order
from answers
where survey_answers > 0
order by depth_order
""",
    "escalations_fcr_by_depth": """
with answered as (
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
        coalesce(resolved and not repeat_within_7d, false) as resolved_first_time
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
      and resolved is not null  -- as the KPI: only contacts whose resolution is recorded are judged
),

by_depth as (
    select decided_by, depth_order, count(*) as answered_contacts,
           count(*) filter (where resolved_first_time) as resolved_first_time
    from answered
    group by decided_by, depth_order
)

select
    decided_by,
    answered_contacts,
    resolved_first_time,
    100.0 * resolved_first_time / answered_contacts                       as fcr_pct,
    100.0 * wilson_lower(resolved_first_time, answered_contacts)          as fcr_low_pct,
    100.0 * wilson_upper(resolved_first_time, answered_contacts)          as fcr_high_pct,
    depth_order
from by_depth
order by depth_order
""",
    "escalations_depth_distribution": """
with answered as (
    select escalation_depth, exception_requested
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
),

-- every depth appears, even one with no contacts, so the bars line up
depth_levels as (
    select * from (values
        (0, '0 · agent'), (1, '1 · team lead'), (2, '2 · manager'), (3, '3 · senior management')
    ) as d(escalation_depth, depth_label)
),

groups as (
    select * from (values ('Exception requests', 1), ('All answered contacts', 2)) as g(contacts_in, group_order)
),

counted as (
    select 'Exception requests' as contacts_in, escalation_depth, count(*) as contacts
    from answered
    where exception_requested
    group by escalation_depth
    union all
    select 'All answered contacts', escalation_depth, count(*)
    from answered
    group by escalation_depth
),

filled as (
    select d.depth_label, d.escalation_depth, g.contacts_in, g.group_order, coalesce(c.contacts, 0) as contacts
    from depth_levels as d
    cross join groups as g
    left join counted as c using (escalation_depth, contacts_in)
),

shares as (
    select
        depth_label,
        contacts_in,
        contacts,
        (sum(contacts) over (partition by contacts_in))::bigint                    as total_contacts,
        100.0 * contacts / nullif(sum(contacts) over (partition by contacts_in), 0) as share_pct,
        group_order,
        escalation_depth
    from filled
    where (select count(*) from answered) > 0
    union all
    -- contacts with no recorded level are in no share: the chart leaves them out and counts them once
    -- (those asking for an exception are among all answered contacts)
    select null, 'All answered contacts', count(*), null, null, 3, null
    from answered
    where escalation_depth is null
    having count(*) > 0
)

select depth_label, contacts_in, contacts, total_contacts, share_pct
from shares
order by group_order, escalation_depth
""",
    "customer_vs_agent_team_months": """
with customer_answers as (
    -- a survey belongs to the month its contact was queued, so it sits with the team that served it
    select
        c.team_name,
        date_trunc('month', c.queued_at)::date       as month,
        count(s.csat)                                as customer_answers,
        count(*) filter (where s.csat >= 4)          as customer_satisfied,
        count(s.nps)                                 as nps_answers,
        count(*) filter (where s.nps >= 9)           as nps_promoters,
        count(*) filter (where s.nps <= 6)           as nps_detractors
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint) as c
    join customer_surveys as s using (interaction_id)
    group by all
),

agent_answers as (
    -- agents by their current team; channel and touchpoint do not describe agents
    select
        a.team_name,
        date_trunc('month', s.surveyed_at)::date     as month,
        count(s.satisfaction)                        as agent_answers,
        count(*) filter (where s.satisfaction >= 4)  as agent_satisfied,
        count(distinct s.agent_id) filter (where s.satisfaction is not null) as agent_respondents
    from agent_surveys as s
    join filtered_agents($site, $team) as a using (agent_id)
    where s.surveyed_at between $date_from and $date_to
    group by all
)

-- a full join keeps months one side lacks: a lagged pairing may still need them
select
    team_name,
    month,
    coalesce(c.customer_answers, 0)    as customer_answers,
    coalesce(c.customer_satisfied, 0)  as customer_satisfied,
    coalesce(c.nps_answers, 0)         as nps_answers,
    coalesce(c.nps_promoters, 0)       as nps_promoters,
    coalesce(c.nps_detractors, 0)      as nps_detractors,
    coalesce(a.agent_answers, 0)       as agent_answers,
    coalesce(a.agent_satisfied, 0)     as agent_satisfied,
    coalesce(a.agent_respondents, 0)   as agent_respondents
from customer_answers as c
full join agent_answers as a using (team_name, month)
order by team_name, month
""",
    "customer_vs_agent_mirror": """
with answered_contacts as (
    select interaction_id
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
),

customer_response as (
    -- a contact counts once however many survey rows it has
    select
        count(*)                                                 as answered_contacts,
        count(*) filter (where interaction_id in (select interaction_id from customer_surveys))
                                                                 as surveyed_contacts
    from answered_contacts
),

scoped_agents as (
    select * from filtered_agents($site, $team)
),

agent_requests_in_period as (
    -- requests opened in the period; one still open when the data was extracted has no answered_at
    select
        count(*)                                                                   as requests_opened,
        count(*) filter (where r.answered_at is null)                              as requests_unanswered,
        avg(epoch(r.answered_at - r.opened_at) / 3600.0) filter (where r.answered_at is not null)
                                                                                   as request_answer_hours
    from agent_requests as r
    join scoped_agents using (agent_id)
    where r.opened_at >= $date_from and r.opened_at < $date_to + interval 1 day
),

agent_response as (
    select
        (select count(s.satisfaction)
         from agent_surveys as s
         join scoped_agents using (agent_id)
         where s.surveyed_at between $date_from and $date_to)    as agent_survey_answers,
        -- employed on some day of the period (same convention as the overview's headcount)
        (select count(*)
         from scoped_agents
         where hired_on <= $date_to and (left_on is null or left_on > $date_from)) as agents_employed
)

select *
from customer_response, agent_requests_in_period, agent_response
""",
    "catalogue_survey_response_by_touchpoint": """
with answered as (
    select interaction_id, touchpoint_name
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
)

select
    a.touchpoint_name,
    count(*)                                            as answered,
    count(s.interaction_id)                             as survey_answers,
    100.0 * count(s.interaction_id) / count(*)          as response_rate
from answered as a
left join customer_surveys as s using (interaction_id)
group by a.touchpoint_name
order by response_rate desc
""",
    "catalogue_contacts_by_channel": """
select
    date_trunc('month', queued_at)::date        as month,
    channel,
    count(*)                                    as contacts,
    count(*) filter (where abandoned)           as abandoned
from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
group by all
order by month, channel
""",
    "escalations_level_by_month": """
with by_month as (
    select
        date_trunc('month', queued_at)::date              as month,
        count(escalation_depth)                           as exception_requests,  -- with a recorded level
        count(*) filter (where escalation_depth = 0)      as by_agent,
        count(*) filter (where escalation_depth = 1)      as by_team_lead,
        count(*) filter (where escalation_depth = 2)      as by_manager,
        count(*) filter (where escalation_depth >= 3)     as by_senior_management
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned and exception_requested
    group by month
)

select
    strftime(month, '%b %Y')                              as month_label,
    month,
    exception_requests,
    100.0 * by_agent / exception_requests                as agent_pct,
    100.0 * by_team_lead / exception_requests            as team_lead_pct,
    100.0 * by_manager / exception_requests              as manager_pct,
    100.0 * by_senior_management / exception_requests    as senior_management_pct
from by_month
where exception_requests > 0
order by month
""",
    "escalations_level_by_team": """
with team_limits as (
    select team_id, median(authority_limit)::double as authority_limit
    from filtered_agents($site, $team)
    group by team_id
),

by_team as (
    select
        team_id,
        team_name,
        count(escalation_depth)                           as exception_requests,  -- with a recorded level
        count(*) filter (where escalation_depth = 0)      as by_agent,
        count(*) filter (where escalation_depth = 1)      as by_team_lead,
        count(*) filter (where escalation_depth = 2)      as by_manager,
        count(*) filter (where escalation_depth >= 3)     as by_senior_management
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned and exception_requested
    group by team_id, team_name
)

select
    b.team_name,
    l.authority_limit,
    b.exception_requests,
    100.0 * b.by_agent / b.exception_requests                as agent_pct,
    100.0 * b.by_team_lead / b.exception_requests            as team_lead_pct,
    100.0 * b.by_manager / b.exception_requests              as manager_pct,
    100.0 * b.by_senior_management / b.exception_requests    as senior_management_pct
from by_team as b
left join team_limits as l using (team_id)
where b.exception_requests > 0
order by l.authority_limit, b.team_name
""",
    # customer_vs_agent_levers: as it was at commit 4029830
    "customer_vs_agent_levers": """
with contacts as (
    select c.*
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint) as c
    join filtered_agents($site, $team) as a using (agent_id)
    where not c.abandoned
),

customer_contacts as (
    -- the AHT, FCR and escalation counts of each agent's answered contacts (the KPI layer's definitions)
    select
        agent_id,
        count(*)                                                       as answered,
        count(handle_s)                                                as handled,
        coalesce(sum(handle_s), 0)::double                             as handle_s,
        coalesce(sum(handle_s::double * handle_s), 0)                  as handle_s_squares,
        count(resolved)                                                as resolution_known,
        count(*) filter (where resolved and not repeat_within_7d)      as first_contact_resolved,
        count(escalation_depth)                                        as depth_recorded,
        count(*) filter (where escalation_depth > 0)                   as escalated
    from contacts
    group by agent_id
),

customer_answers as (
    -- survey answers count with the contact they answer, so with the agent who served it
    select
        c.agent_id,
        count(s.csat)                       as csat_answers,
        count(*) filter (where s.csat >= 4) as csat_satisfied,
        count(s.nps)                        as nps_answers,
        count(*) filter (where s.nps >= 9)  as promoters,
        count(*) filter (where s.nps <= 6)  as detractors
    from contacts as c
    join customer_surveys as s using (interaction_id)
    group by c.agent_id
),

served as (
    select
        a.agent_id, a.team_id, a.hired_on, a.left_on, a.authority_limit,
        cc.answered, cc.handled, cc.handle_s, cc.handle_s_squares, cc.resolution_known,
        cc.first_contact_resolved, cc.depth_recorded, cc.escalated,
        coalesce(ca.csat_answers, 0) as csat_answers, coalesce(ca.csat_satisfied, 0) as csat_satisfied,
        coalesce(ca.nps_answers, 0) as nps_answers, coalesce(ca.promoters, 0) as promoters,
        coalesce(ca.detractors, 0) as detractors
    from customer_contacts as cc
    join agents as a using (agent_id)
    left join customer_answers as ca using (agent_id)
),

own_answers as (
    -- each agent's survey answers in the period: used to rank and to sum, never returned one by one
    select
        agent_id,
        avg(satisfaction)                          as satisfaction_mean,
        count(satisfaction)                        as satisfaction_answers,
        count(*) filter (where satisfaction >= 4)  as satisfaction_hits,
        avg(enps)                                  as enps_mean,
        count(enps)                                as enps_answers,
        count(*) filter (where enps >= 9)          as enps_promoters,
        count(*) filter (where enps <= 6)          as enps_detractors,
        avg(pressure)                              as pressure_mean,
        count(pressure)                            as pressure_answers,
        sum(pressure)                              as pressure_sum
    from agent_surveys
    where surveyed_at between $date_from and $date_to
    group by agent_id
),

team_requests as (
    -- the management SLA (design section 4): requests of the team's agents opened in the period
    select
        a.team_id,
        count(*)                                                                as requests_opened,
        count(*) filter (where r.answered_at <= r.opened_at + interval 72 hour) as answered_within_72h
    from agent_requests as r
    join agents as a using (agent_id)
    where r.opened_at >= $date_from and r.opened_at < $date_to + interval 1 day
    group by a.team_id
),

training_hours as (
    select agent_id, sum(training_hours) as hours
    from training
    where held_on between $date_from and $date_to
    group by agent_id
),

-- one row per agent and lever: the value that ranks the agent, and what the band sums to show
lever_values as (
    select 'satisfaction' as lever, s.*, o.satisfaction_mean as rank_value,
           o.satisfaction_hits::double as lever_sum, o.satisfaction_answers as lever_count,
           0 as lever_misses, true as survey
    from served as s join own_answers as o using (agent_id) where o.satisfaction_answers > 0
    union all by name
    select 'enps' as lever, s.*, o.enps_mean as rank_value, o.enps_promoters::double as lever_sum,
           o.enps_answers as lever_count, o.enps_detractors as lever_misses, true as survey
    from served as s join own_answers as o using (agent_id) where o.enps_answers > 0
    union all by name
    select 'pressure' as lever, s.*, o.pressure_mean as rank_value, o.pressure_sum::double as lever_sum,
           o.pressure_answers as lever_count, 0 as lever_misses, true as survey
    from served as s join own_answers as o using (agent_id) where o.pressure_answers > 0
    union all by name
    select 'training' as lever, s.*, coalesce(t.hours, 0) as rank_value, coalesce(t.hours, 0) as lever_sum,
           1 as lever_count, 0 as lever_misses, false as survey
    from served as s left join training_hours as t using (agent_id)
    where exists (select 1 from training)
    union all by name
    select 'tenure' as lever, s.*,
           date_diff('day', s.hired_on, least(coalesce(s.left_on, $date_to::date), $date_to::date)) / 365.25 as rank_value,
           date_diff('day', s.hired_on, least(coalesce(s.left_on, $date_to::date), $date_to::date)) / 365.25 as lever_sum,
           1 as lever_count, 0 as lever_misses, false as survey
    from served as s
    union all by name
    select 'authority' as lever, s.*, s.authority_limit::double as rank_value, s.authority_limit::double as lever_sum,
           1 as lever_count, 0 as lever_misses, false as survey
    from served as s
),

-- the finest split whose every band holds at least the respondent threshold: ntile makes bands of
-- floor(n / k) or one more, so k bands need n >= k x threshold; one split per lever, so no two bands
-- overlap and no difference of bands can single out a smaller group
lever_splits as (
    select
        lever,
        count(*) as agents,
        case when count(*) >= 4 * $min_respondents then 4
             when count(*) >= 3 * $min_respondents then 3
             when count(*) >= 2 * $min_respondents then 2
             else 0 end as bands
    from lever_values
    group by lever
),

banded as (
    select v.*, k.bands, ntile(k.bands) over (partition by v.lever order by v.rank_value, v.agent_id) as band
    from lever_values as v
    join lever_splits as k using (lever)
    where k.bands > 0
    union all by name
    -- met or missed is a team's, so its two bands are not quantiles: band 1 missed, band 2 met
    select 'manager_72h' as lever, s.*, 2 as bands,
           case when t.answered_within_72h >= 0.8 * t.requests_opened then 2 else 1 end as band,
           100.0 * t.answered_within_72h / t.requests_opened as rank_value,
           t.answered_within_72h::double as lever_sum, t.requests_opened as lever_count, 0 as lever_misses,
           false as survey
    from served as s join team_requests as t using (team_id)
)

select
    lever,
    bands,
    band,
    count(*)                                  as band_agents,
    count(*)                                  as band_size,   -- survey levers: every agent here answered
    bool_or(survey)                           as survey,
    -- a survey lever's band shows its pooled figure only; a range would be one agent's own value
    sum(lever_sum)                            as lever_sum,
    sum(lever_count)                          as lever_count,
    sum(lever_misses)                         as lever_misses,
    case when not bool_or(survey) then min(rank_value) end as lever_low,
    case when not bool_or(survey) then max(rank_value) end as lever_high,
    sum(answered)                             as answered,
    sum(csat_answers)                         as csat_answers,
    sum(csat_satisfied)                       as csat_satisfied,
    sum(nps_answers)                          as nps_answers,
    sum(promoters)                            as promoters,
    sum(detractors)                           as detractors,
    sum(resolution_known)                     as resolution_known,
    sum(first_contact_resolved)               as first_contact_resolved,
    sum(depth_recorded)                       as depth_recorded,
    sum(escalated)                            as escalated,
    sum(handled)                              as handled,
    sum(handle_s)                             as handle_s,
    sum(handle_s_squares)                     as handle_s_squares
from banded
group by lever, bands, band
union all by name
-- a lever too few agents answered for two bands: its count only, so the page can say so
select lever, 0 as bands, agents as band_agents, agents as band_size
from lever_splits
where bands = 0
order by lever, band
""",
    # escalations_rate_by_authority: as it was at commit 4029830
    "escalations_rate_by_authority": """
with team_limits as (
    -- agents.authority_limit is today's limit; teams normally share one, the median guards against a stray agent
    select team_id, median(authority_limit)::double as authority_limit
    from filtered_agents($site, $team)
    group by team_id
),

-- a team's limit was last changed by its latest empowerment event: before that another limit applied
limit_in_force_since as (
    select team_id, max(starts_on) as since
    from events
    where category = 'empowerment' and team_id is not null
    group by team_id
),

exception_requests as (
    select i.team_id, i.team_name, i.site, i.escalation_depth
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint) as i
    left join limit_in_force_since as f using (team_id)
    where not i.abandoned
      and i.exception_requested
      and (f.since is null or i.queued_at >= f.since)
),

by_team as (
    select team_id, team_name, site, count(escalation_depth) as exception_requests,  -- with a recorded level
           count(*) filter (where escalation_depth > 0) as escalated
    from exception_requests
    group by team_id, team_name, site
)

select
    b.team_name,
    b.site,
    l.authority_limit,
    b.exception_requests,
    b.escalated,
    100.0 * b.escalated / b.exception_requests                       as escalated_pct,
    100.0 * wilson_lower(b.escalated, b.exception_requests)          as escalated_low_pct,
    100.0 * wilson_upper(b.escalated, b.exception_requests)          as escalated_high_pct
from by_team as b
join team_limits as l using (team_id)
where b.exception_requests > 0
order by b.site, l.authority_limit, b.team_name
""",
}

REWRITTEN = ("attrition_customer_churn", "overview_customer_kpis")
# The queries that read another rollup than contact_months, and the macro they read it through
READS = {"wait_times_csat_by_wait": "filtered_wait_days", "wait_times_abandon_by_wait": "filtered_wait_days"}
# the queries that never look at an agent read contact_months summed over agents (tests/test_team_months.py)
READS.update({name: "filtered_team_months" for name in (
    "customer_vs_agent_team_months", "customer_vs_agent_mirror", "escalations_depth_distribution",
    "escalations_csat_by_depth", "escalations_fcr_by_depth", "escalations_rate_by_authority",
    "escalations_level_by_team", "escalations_level_by_month", "management_training_buckets",
    "management_training_team_months")})

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
ONE_MONTH = (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
MID_MONTH_TO_MID_MONTH = (dt.date(2025, 3, 5), dt.date(2025, 5, 20))   # partial first and last months
WITHIN_ONE_MONTH = (dt.date(2025, 7, 10), dt.date(2025, 7, 24))
BEFORE_AND_AFTER_THE_DATA = (dt.date(2024, 11, 17), dt.date(2026, 2, 10))


def previous(query: catalogue.Query, name: str) -> catalogue.Query:
    """The query as it was: the same header and parameters, the previous SQL."""
    return catalogue.Query(**{**query.__dict__, "sql": PREVIOUS_SQL[name]})


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    # rows the SQL orders only partly (ties) may come in either order: compare them sorted
    return frame.sort(frame.columns, nulls_last=True)


def assert_same_figures(con, query: catalogue.Query, name: str, values: dict) -> None:
    now = catalogue.execute(con, query, values)
    before = catalogue.execute(con, previous(query, name), values)
    assert now.height > 0 or before.height == 0
    # every column it had, equal; a column added since (the levers' per-agent sums for the design
    # effect) is tested against the raw rows where it is used (tests/test_mirror.py)
    assert set(before.columns) <= set(now.columns), name
    assert_frame_equal(canonical(now.select(before.columns)), canonical(before), check_exact=True)


def first_of(con, sql: str):
    return con.cursor().sql(sql).fetchall()[0][0]


def filter_cases(con) -> list[dict]:
    """Whole year, one team, one site, one channel, one month, partial months, a touchpoint."""
    team = first_of(con, "select team_name from teams order by team_id limit 1")
    site = first_of(con, "select site from teams order by team_id desc limit 1")
    touchpoint = first_of(con, "select touchpoint_name from touchpoints order by touchpoint_id limit 1")
    return [
        dict(period=YEAR), dict(period=YEAR, team=team), dict(period=YEAR, site=site),
        dict(period=YEAR, channel="chat"), dict(period=ONE_MONTH), dict(period=ONE_MONTH, team=team),
        dict(period=MID_MONTH_TO_MID_MONTH), dict(period=MID_MONTH_TO_MID_MONTH, site=site, channel="phone"),
        dict(period=WITHIN_ONE_MONTH, touchpoint=touchpoint), dict(period=BEFORE_AND_AFTER_THE_DATA),
    ]


def values_of(period, **scope) -> dict:
    return {**filters.Filters(*period, **scope).as_params(), **catalogue.page_param_defaults()}


@pytest.mark.parametrize("name", sorted(PREVIOUS_SQL))
def test_query_gives_the_figures_of_the_sql_it_replaced(con, queries, name):
    query = queries.get(name)
    if name not in REWRITTEN:
        assert READS.get(name, "filtered_contact_months") in query.sql   # it does read the rollup
    for case in filter_cases(con):
        assert_same_figures(con, query, name, values_of(**case))


def test_rollup_sums_equal_the_contacts(con):
    from_rollup = con.cursor().sql("""
        select sum(contacts), sum(contacts) filter (where not abandoned), sum(handle_s), sum(resolution_known),
               sum(first_contact_resolved), sum(surveyed), sum(survey_answers), sum(csat_satisfied), sum(detractors)
        from contact_months""").fetchall()[0]
    from_contacts = con.cursor().sql("""
        select count(*), count(*) filter (where not abandoned), sum(handle_s), count(resolved),
               count(*) filter (where resolved and not repeat_within_7d),
               (select count(distinct interaction_id) from customer_surveys
                where interaction_id in (select interaction_id from interactions)),
               (select count(*) from customer_surveys join interactions using (interaction_id)),
               (select count(*) from customer_surveys join interactions using (interaction_id) where csat >= 4),
               (select count(*) from customer_surveys join interactions using (interaction_id) where nps <= 6)
        from interactions""").fetchall()[0]
    assert from_rollup == from_contacts


# The wait buckets as the page names them (0-10 s, 10-30 s, ... 10 min+): a wait's bucket is one more
# than the number of these edges it reaches; an unrecorded wait has none.
WAIT_EDGES_S = (10, 30, 60, 120, 300, 600)
WAIT_DAY_KEY = ["day", "team_id", "channel", "touchpoint_id", "wait_bucket"]


def wait_days_from_the_contacts(con) -> pl.DataFrame:
    """contact_wait_days computed in polars from the raw contacts and survey answers."""
    contacts = con.cursor().sql("select interaction_id, queued_at::date as day, team_id, channel, touchpoint_id, "
                                "wait_s, abandoned from interactions").pl()
    answers = con.cursor().sql("select interaction_id, csat from customer_surveys where csat is not null").pl()
    reached = pl.sum_horizontal([(pl.col("wait_s") >= edge).cast(pl.Int64) for edge in WAIT_EDGES_S])
    contacts = contacts.with_columns(
        pl.when(pl.col("wait_s").is_null()).then(None).otherwise(reached + 1).cast(pl.Int16).alias("wait_bucket"))
    offered = contacts.group_by(WAIT_DAY_KEY).agg(offered=pl.len().cast(pl.Int64),
                                                  abandoned=pl.col("abandoned").sum().cast(pl.Int64))
    # every CSAT answer on an answered contact, a contact answering twice twice
    satisfaction = (contacts.filter(~pl.col("abandoned")).join(answers, on="interaction_id")
                    .group_by(WAIT_DAY_KEY).agg(csat_answers=pl.len().cast(pl.Int64),
                                                csat_satisfied=(pl.col("csat") >= 4).sum().cast(pl.Int64)))
    return (offered.join(satisfaction, on=WAIT_DAY_KEY, how="left", nulls_equal=True)
            .with_columns(pl.col("csat_answers", "csat_satisfied").fill_null(0)))


def assert_wait_days_equal_the_contacts(con) -> None:
    rollup = con.cursor().sql("select * from contact_wait_days").pl()
    expected = wait_days_from_the_contacts(con).select(rollup.columns)
    assert rollup.height > 0
    assert_frame_equal(canonical(rollup), canonical(expected), check_exact=True)


def test_wait_day_rollup_equals_the_contacts(con):
    assert_wait_days_equal_the_contacts(con)


@pytest.fixture(scope="module")
def store_with_unknown_waits_and_repeated_answers(store_path, tmp_path_factory):
    """The test store with every 7th contact's wait unrecorded, a second answer on some answered contacts
    (another CSAT, or none), and answers on some abandoned contacts, rebuilt as a publish would."""
    path = tmp_path_factory.mktemp("waits") / "waits.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("update interactions set wait_s = null where interaction_id % 7 = 0")
        connection.execute("insert into customer_surveys select interaction_id, answered_at, 6 - csat, nps, ces "
                           "from customer_surveys where interaction_id % 5 = 0")
        connection.execute("insert into customer_surveys select interaction_id, answered_at, null, nps, ces "
                           "from customer_surveys where interaction_id % 11 = 0")
        connection.execute("insert into customer_surveys (interaction_id, answered_at, csat) "
                           "select interaction_id, queued_at, 1 + interaction_id % 5 from interactions "
                           "where abandoned and interaction_id % 3 = 0")
        rollups.build(connection)
        coverage.record(connection)
    connection = store.open_read_only(path)
    yield connection
    connection.close()


def test_the_wait_figures_count_unknown_waits_and_every_answer_as_before(
        store_with_unknown_waits_and_repeated_answers, queries):
    con = store_with_unknown_waits_and_repeated_answers
    assert_wait_days_equal_the_contacts(con)
    for name in ("wait_times_csat_by_wait", "wait_times_abandon_by_wait"):
        for case in filter_cases(con):
            assert_same_figures(con, queries.get(name), name, values_of(**case))
    # the store does hold what this checks: answers of no bucket, contacts answering twice
    unknown = catalogue.execute(con, queries.get("wait_times_csat_by_wait"), values_of(YEAR)).filter(
        pl.col("bucket_order").is_null())
    assert unknown["survey_answers"].to_list() == [first_of(con, """
        select count(*) from interactions join customer_surveys using (interaction_id)
        where not abandoned and wait_s is null and csat is not null""")] != [0]
    assert first_of(con, "select count(*) from (select interaction_id from customer_surveys "
                         "where csat is not null group by all having count(*) > 1)") > 0


def test_a_store_of_interval_reports_has_no_wait_days(store_path, tmp_path_factory):
    """Its counts cannot be bucketed by single waits: the rollup stays empty, and the figures say they
    need a per-contact log."""
    path = tmp_path_factory.mktemp("intervals_only") / "intervals.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("delete from customer_surveys")
        connection.execute("delete from interactions")
        rollups.build(connection)
        coverage.record(connection)
        assert connection.execute("select count(*) from contact_intervals").fetchall()[0][0] > 0
        assert connection.execute("select count(*) from contact_wait_days").fetchall()[0][0] == 0
        held = coverage.read(connection)
    for name in ("wait_times_csat_by_wait", "wait_times_abandon_by_wait"):
        needs = catalogue.load(config.queries_dir()).get(name).needs
        assert held.reasons(needs)[0] == coverage.INTERVALS_ONLY


@pytest.mark.parametrize("period", [(dt.date(2025, 10, 1), dt.date(2025, 12, 15)),
                                    (dt.date(2025, 10, 1), dt.date(2025, 12, 20)),
                                    (dt.date(2025, 10, 1), dt.date(2025, 12, 10)),
                                    (dt.date(2025, 12, 3), dt.date(2025, 12, 15))])
def test_a_period_ending_on_or_after_the_last_day_of_data_gives_the_contacts_figures(
        store_ending_mid_month, queries, period):
    for name in ("teams_agent_table", "customer_vs_agent_mirror", "escalations_depth_distribution",
                 "customer_vs_agent_levers"):
        assert_same_figures(store_ending_mid_month, queries.get(name), name, values_of(period))


def test_the_last_partial_month_of_data_is_read_from_the_rollup(store_ending_mid_month):
    bound = lambda day: store_ending_mid_month.cursor().execute(   # noqa: E731
        "select rollup_months_to($day::date)", {"day": day}).fetchone()[0]
    assert bound(dt.date(2025, 12, 15)) == dt.datetime(2026, 1, 1)   # the last day of data: December whole
    assert bound(dt.date(2025, 12, 10)) == dt.datetime(2025, 12, 1)  # before it: December from the contacts


@pytest.fixture(scope="module")
def store_with_a_limit_changed_mid_month(store_path, tmp_path_factory):
    """The test store with every team's authority limit last changed on 17 July (the demo changes it on
    a month's first day), so its figures need July from the contacts and later months from the rollup."""
    path = tmp_path_factory.mktemp("mid_limit") / "mid_limit.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("delete from events where category = 'empowerment'")
        connection.execute("insert into events (event_id, starts_on, category, team_id, title) "
                           "select (select max(event_id) from events) + team_id, date '2025-07-17', "
                           "'empowerment', team_id, 'New limit' from teams")
    connection = store.open_read_only(path)
    yield connection
    connection.close()


def test_a_limit_changed_mid_month_counts_the_contacts_from_that_day(store_with_a_limit_changed_mid_month, queries):
    con = store_with_a_limit_changed_mid_month
    name = "escalations_rate_by_authority"
    periods = [YEAR, (dt.date(2025, 7, 1), dt.date(2025, 7, 31)), (dt.date(2025, 7, 20), dt.date(2025, 9, 10)),
               (dt.date(2025, 6, 10), dt.date(2025, 7, 16)), WITHIN_ONE_MONTH]
    for period in periods:
        assert_same_figures(con, queries.get(name), name, values_of(period))
    # July's requests from the 17th on are counted, not the whole month's: computed from the contacts
    july = con.cursor().sql("""
        select count(escalation_depth) from interactions
        where not abandoned and exception_requested and queued_at >= date '2025-07-17'
          and queued_at < date '2025-08-01'""").fetchall()[0][0]
    frame = catalogue.execute(con, queries.get(name), values_of((dt.date(2025, 7, 1), dt.date(2025, 7, 31))))
    assert frame["exception_requests"].sum() == july > 0


@pytest.mark.parametrize("purpose", ["pages", "lab"])
def test_a_scope_store_keeps_the_scope_teams_rollup_rows_and_their_figures(store_path, con, queries, purpose):
    team_id, team = con.cursor().sql("select team_id, team_name from teams order by team_id limit 1").fetchall()[0]
    derived = store.open_read_only(scopes.store_for(store_path, scopes.Scope(teams=frozenset({team})), purpose))
    try:
        columns = "month, team_id, agent_id, channel, touchpoint_id, abandoned, contacts, csat_answers"
        held = derived.cursor().sql(f"select {columns} from contact_months order by all").fetchall()
        expected = con.cursor().execute(f"select {columns} from contact_months where team_id = $t order by all",
                                        {"t": team_id}).fetchall()
        assert held == expected and held
        for name in ("teams_agent_table", "escalations_csat_by_depth"):   # no agent survey: both stores
            assert_same_figures(derived, queries.get(name), name, values_of(MID_MONTH_TO_MID_MONTH))
    finally:
        derived.close()
