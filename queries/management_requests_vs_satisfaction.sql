-- title: Managers' answers within 72 h and their agents' satisfaction
-- description: "One point per manager (team) over the period: share of agents' requests answered within 72 hours against the share of that team's agent-survey answers scoring 4-5 (all survey rounds, pulse included), with the 95 % Wilson interval of satisfaction; hover for both n. Association, not proof of cause. Agent side: site, team and period apply, channel and touchpoint do not. Click a point to narrow to the team."
-- page: management
-- chart: scatter
-- x: within_72h_pct
-- y: agent_satisfaction_pct
-- error_low: satisfaction_low
-- error_high: satisfaction_high
-- hover: [manager_name, requests, survey_answers]
-- drill: team_name
-- reading: {correlate: teams}
-- needs: [agent_requests.answered_at, agent_surveys.satisfaction]
-- labels: {within_72h_pct: "Requests answered within 72 h %", agent_satisfaction_pct: "Agent satisfaction % (4-5 of 5)", manager_name: "Manager", requests: "Requests", survey_answers: "Agent survey answers", team_name: "Team"}
-- order: 40
-- respondents: {agent_satisfaction_pct: survey_respondents, satisfaction_low: survey_respondents, satisfaction_high: survey_respondents}
-- params: [date_from, date_to, site, team]
with scoped_agents as (
    select * from filtered_agents($site, $team)
),

requests_per_team as (
    select
        a.team_name,
        a.manager_name,
        count(*)                                                                  as requests,
        count(*) filter (where r.answered_at <= r.opened_at + interval 72 hour)   as answered_within_72h
    from agent_requests as r
    join scoped_agents as a using (agent_id)
    where r.opened_at >= $date_from and r.opened_at < $date_to + interval 1 day
    group by a.team_name, a.manager_name
),

surveys_per_team as (
    select
        a.team_name,
        count(s.satisfaction)                        as survey_answers,
        count(*) filter (where s.satisfaction >= 4)  as satisfied,
        count(distinct s.agent_id) filter (where s.satisfaction is not null) as survey_respondents
    from agent_surveys as s
    join scoped_agents as a using (agent_id)
    where s.surveyed_at between $date_from and $date_to
    group by a.team_name
)

select
    r.team_name,
    r.manager_name,
    100.0 * r.answered_within_72h / r.requests            as within_72h_pct,
    100.0 * s.satisfied / s.survey_answers                as agent_satisfaction_pct,
    100.0 * wilson_lower(s.satisfied, s.survey_answers)   as satisfaction_low,
    100.0 * wilson_upper(s.satisfied, s.survey_answers)   as satisfaction_high,
    r.requests,
    s.survey_answers,
    s.survey_respondents
from requests_per_team as r
join surveys_per_team as s using (team_name)
where s.survey_answers > 0
order by within_72h_pct
