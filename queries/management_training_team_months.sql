-- title: Training hours per agent against FCR and CSAT, per team-month
-- description: "One point per team and month: training hours held by the team's agents divided by its average headcount (onboarding of new hires left out: it comes with low tenure), against the month's first-contact resolution (resolved, no repeat within 7 days, of answered contacts whose resolution is recorded) and CSAT (answers of 4-5 of all answers); hover for the team, month and n (answered contacts for FCR, survey answers for CSAT). Association, not proof of cause. Training follows the site and team filters; FCR and CSAT follow every filter."
-- page: management
-- chart: scatter
-- x: training_h_per_agent
-- y: pct
-- color: measure
-- hover: [team_name, month, n]
-- drill: team_name
-- reading: {correlate: team-months, by: measure}
-- needs: [training]
-- row_needs: {"FCR %": [interactions.resolved, interactions.customer_id], "CSAT %": customer_surveys.csat}
-- labels: {training_h_per_agent: "Training hours per agent in the month", pct: "%", measure: "Measure", team_name: "Team", month: "Month", n: "n"}
-- order: 50
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
