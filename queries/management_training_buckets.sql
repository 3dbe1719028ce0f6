-- title: FCR and CSAT by training hours per agent (team-months binned)
-- description: "Team-months grouped by the training hours per agent held that month (onboarding of new hires left out: it comes with low tenure); each bar pools the group's contacts (summed numerators and denominators) and shows the 95 % Wilson interval; hover for the number of team-months and n. Association, not proof of cause: teams that train more may differ in other ways. Training follows the site and team filters; FCR and CSAT follow every filter."
-- page: management
-- chart: bar
-- x: training_bucket
-- y: pct
-- color: measure
-- error_low: pct_low
-- error_high: pct_high
-- hover: [team_months, n]
-- reading: {compare: ends, hits: hits, n: n, by: measure}
-- needs: [training]
-- row_needs: {"FCR %": [interactions.resolved, interactions.customer_id], "CSAT %": customer_surveys.csat}
-- labels: {training_bucket: "Training hours per agent in the month", pct: "%", measure: "Measure", team_months: "Team-months", n: "n", hits: "Resolved first time, or answers of 4-5"}
-- order: 60
-- params: [date_from, date_to, site, team, channel, touchpoint]
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

-- summed from the team-grain monthly rollup (data/schema.sql: filtered_team_months), equal to the contacts' sums
team_contacts as (
    select
        m.team_name,
        m.month,
        -- FCR's base: answered contacts whose resolution is recorded, as the KPI
        coalesce(sum(m.resolution_known) filter (where not m.abandoned), 0)::bigint       as resolution_known,
        coalesce(sum(m.first_contact_resolved) filter (where not m.abandoned), 0)::bigint as first_contact_resolved,
        sum(m.csat_answers)::bigint                                                     as survey_answers,
        sum(m.csat_satisfied)::bigint                                                   as satisfied
    from filtered_team_months($date_from, $date_to, $site, $team, $channel, $touchpoint) as m
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
