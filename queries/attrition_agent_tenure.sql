-- title: Agents' tenure for retention curves
-- description: One row per agent of the filtered site and team employed at any time from the start of the store's record to the period's end (channel and touchpoint do not apply to agents). A retention curve needs a long window, so each agent is followed from the later of hire and the record's start (entry_days, for left truncation) to leaving or the period's end (exit_days; censored if still employed). Groups are the quartile of the agent's mean survey satisfaction (all answers up to the period's end), and whether the team's manager answered at least 80 % of the team's agent requests within 72 h over the same window.
-- page: attrition
-- chart: data
-- needs: [agents.left_on]
-- respondents: {satisfaction_group: satisfaction_group_agents, satisfaction_order: satisfaction_group_agents}
-- params: [date_to, site, team]
with scoped_agents as (
    select * from filtered_agents($site, $team)
),

-- the store records agents from its first contact (or its first recorded leaver, if HR history goes back further)
record_start as (
    select least((select min(queued_at)::date from interactions), (select min(left_on) from agents)) as first_day
),

agents_in_period as (
    select agent_id, team_id, team_name, site, hired_on, left_on
    from scoped_agents, record_start
    where hired_on <= $date_to and (left_on is null or left_on >= record_start.first_day)
),

agent_satisfaction as (
    select s.agent_id, avg(s.satisfaction) as mean_satisfaction, count(s.satisfaction) as survey_answers
    from agent_surveys as s
    join agents_in_period using (agent_id)
    where s.surveyed_at <= $date_to and s.satisfaction is not null
    group by s.agent_id
),

-- ties in the mean are split by agent id so each quartile holds a quarter of the answering agents
satisfaction_quartiles as (
    select *, ntile(4) over (order by mean_satisfaction, agent_id) as quartile
    from agent_satisfaction
),

quartile_ranges as (
    select quartile, min(mean_satisfaction) as lowest, max(mean_satisfaction) as highest
    from satisfaction_quartiles
    group by quartile
),

-- the management SLA: a request counts as met when answered within 72 h of being opened
team_requests as (
    select
        a.team_id,
        count(*)                                                                  as requests_opened,
        count(*) filter (where r.answered_at <= r.opened_at + interval 72 hour)   as answered_within_72h
    from agent_requests as r
    join scoped_agents as a using (agent_id)
    where r.opened_at < $date_to + interval 1 day
    group by a.team_id
)

select
    a.agent_id,
    a.team_name,
    a.site,
    a.hired_on,
    a.left_on,
    -- tenure before the record starts was not observed: the agent joins the risk set the day before it
    greatest(date_diff('day', a.hired_on, (select first_day from record_start)) - 1, 0) as entry_days,
    date_diff('day', a.hired_on, least(coalesce(a.left_on, $date_to::date), $date_to::date)) as exit_days,
    coalesce(a.left_on <= $date_to, false)                                 as left_in_period,
    -- no agent's own mean satisfaction leaves the query: only the group it falls in, and the
    -- group's size, below which the group is hidden (dashboard/confidential.py)
    q.survey_answers,
    coalesce(q.quartile, 5)                                                as satisfaction_order,
    count(*) over (partition by coalesce(q.quartile, 5))                   as satisfaction_group_agents,
    case
        when q.quartile is null then 'No survey answers'
        else ['Bottom quartile', 'Second quartile', 'Third quartile', 'Top quartile'][q.quartile]
             || printf(' (mean %.1f-%.1f)', r.lowest, r.highest)
    end                                                                    as satisfaction_group,
    t.requests_opened                                                      as team_requests_opened,
    100.0 * t.answered_within_72h / t.requests_opened                      as team_within_72h_pct,
    -- groups run from the worse experience to the better, as the satisfaction quartiles do
    case
        when t.requests_opened is null then 3
        when t.answered_within_72h >= 0.8 * t.requests_opened then 2
        else 1
    end                                                                    as manager_order,
    case
        when t.requests_opened is null then 'No agent requests'
        when t.answered_within_72h >= 0.8 * t.requests_opened then 'Manager met the 72 h target'
        else 'Manager missed the 72 h target'
    end                                                                    as manager_group
from agents_in_period as a
left join satisfaction_quartiles as q using (agent_id)
left join quartile_ranges as r using (quartile)
left join team_requests as t using (team_id)
order by a.agent_id
