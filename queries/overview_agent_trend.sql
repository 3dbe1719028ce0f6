-- title: Agent side, month by month
-- description: Agent satisfaction (share answering 4-5), manager answers within 72 h, and attrition annualised (the month's leavers / average headcount x 12).
-- page: overview
-- chart: line
-- order: 40
-- x: month
-- y: [agent_satisfaction, manager_response_72h, attrition_annualised]
-- target: {agent_satisfaction: agent_satisfaction, manager_response_72h: manager_response_72h, attrition_annualised: attrition_annualised}
-- y_title: "%"
-- labels: {agent_satisfaction: "Agent satisfaction %", manager_response_72h: "Requests answered within 72 h %", attrition_annualised: "Attrition % (annualised)"}
-- column_needs: {agent_satisfaction: agent_surveys.satisfaction, survey_answers: agent_surveys.satisfaction, manager_response_72h: agent_requests.answered_at, attrition_annualised: agents.left_on, leavers: agents.left_on}
-- respondents: {agent_satisfaction: survey_respondents}
-- params: [date_from, date_to, site, team]
with scoped_agents as (
    select * from filtered_agents($site, $team)
),

months as (
    select m::date as month, (m + interval 1 month - interval 1 day)::date as last_day
    from generate_series(date_trunc('month', $date_from::date), date_trunc('month', $date_to::date), interval 1 month) as g(m)
),

monthly_surveys as (
    select date_trunc('month', s.surveyed_at)::date as month,
           count(s.satisfaction) as answers,
           count(*) filter (where s.satisfaction >= 4) as satisfied,
           count(distinct s.agent_id) filter (where s.satisfaction is not null) as respondents
    from agent_surveys as s
    join scoped_agents using (agent_id)
    where s.surveyed_at between $date_from and $date_to
    group by 1
),

monthly_requests as (
    select date_trunc('month', r.opened_at)::date as month,
           count(*) as opened,
           count(*) filter (where r.answered_at <= r.opened_at + interval 72 hour) as answered_within_72h
    from agent_requests as r
    join scoped_agents using (agent_id)
    where r.opened_at >= $date_from and r.opened_at < $date_to + interval 1 day
    group by 1
),

monthly_attrition as (
    select month, sum(leavers) as leavers, sum(average_headcount) as average_headcount
    from team_month_attrition($date_from, $date_to, $site, $team)
    group by month
)

select
    m.month,
    100.0 * s.satisfied / nullif(s.answers, 0)                   as agent_satisfaction,
    100.0 * r.answered_within_72h / nullif(r.opened, 0)          as manager_response_72h,
    100.0 * 12 * a.leavers / nullif(a.average_headcount, 0)      as attrition_annualised,
    s.answers                                                    as survey_answers,
    coalesce(s.respondents, 0)                                   as survey_respondents,
    a.leavers
from months as m
left join monthly_surveys as s using (month)
left join monthly_requests as r using (month)
left join monthly_attrition as a using (month)
order by m.month
