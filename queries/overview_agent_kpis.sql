-- title: Agent side
-- description: What agents went through in the period. Agents belong to a team and site, not to a channel or touchpoint, so those two filters do not apply here.
-- page: overview
-- chart: kpi
-- order: 20
-- params: [date_from, date_to, site, team]
-- respondents: {agent_satisfaction: agent_satisfaction_respondents, enps: enps_respondents}

-- Each KPI column comes with <kpi>_n, the count it rests on; a KPI whose input no import supplied is
-- NULL (no data), never 0 (see overview_customer_kpis.sql).
with scoped_agents as (
    select * from filtered_agents($site, $team)
),

survey_totals as (
    select
        count(s.satisfaction)                        as satisfaction_answers,
        count(*) filter (where s.satisfaction >= 4)  as satisfied,
        count(s.enps)                                as enps_answers,
        count(*) filter (where s.enps >= 9)          as promoters,
        count(*) filter (where s.enps <= 6)          as detractors,
        -- the distinct agents behind each figure: none is shown for fewer than the threshold
        count(distinct s.agent_id) filter (where s.satisfaction is not null) as satisfaction_respondents,
        count(distinct s.agent_id) filter (where s.enps is not null)         as enps_respondents
    from agent_surveys as s
    join scoped_agents using (agent_id)
    where s.surveyed_at between $date_from and $date_to
),

request_totals as (
    select
        count(*)                                                                  as opened,
        count(*) filter (where r.answered_at <= r.opened_at + interval 72 hour)   as answered_within_72h
    from agent_requests as r
    join scoped_agents using (agent_id)
    where r.opened_at >= $date_from and r.opened_at < $date_to + interval 1 day
),

monthly_attrition as (
    -- the centre's (or filtered scope's) month is the sum of its teams' months
    select month, sum(leavers) as leavers, sum(average_headcount) as average_headcount
    from team_month_attrition($date_from, $date_to, $site, $team)
    group by month
),

attrition_totals as (
    select
        100.0 * 12 * avg(leavers / average_headcount) as attrition_annualised,
        avg(average_headcount)                        as average_headcount
    from monthly_attrition
    where average_headcount > 0
)

select
    100.0 * satisfied / nullif(satisfaction_answers, 0)          as agent_satisfaction,
    satisfaction_answers                                          as agent_satisfaction_n,
    satisfaction_respondents                                      as agent_satisfaction_respondents,
    100.0 * (promoters - detractors) / nullif(enps_answers, 0)   as enps,
    enps_answers                                                  as enps_n,
    enps_respondents,
    -- with no leaving dates imported nobody can be seen to leave: no data, not 0 %
    case when supplied('agents', 'left_on') then attrition_annualised end as attrition_annualised,
    coalesce(average_headcount, 0)                                as attrition_annualised_n,
    case when supplied('agent_requests', 'answered_at')
         then 100.0 * answered_within_72h / nullif(opened, 0) end as manager_response_72h,
    opened                                                        as manager_response_72h_n
from survey_totals, request_totals, attrition_totals
