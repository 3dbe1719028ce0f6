-- title: Agent requests answered within 72 h, by manager
-- description: "Share of agents' requests (leave, schedule, equipment, professional) opened in the period that their manager answered within 72 hours; a request still unanswered counts as late. Bars show the 95 % Wilson interval; hover for the number of requests. Agent side: the site, team and period filters apply, channel and touchpoint do not (a request is not a contact). Click a bar to narrow every page to that manager's team."
-- page: management
-- chart: bar
-- x: manager
-- y: within_72h_pct
-- error_low: within_72h_low
-- error_high: within_72h_high
-- hover: [requests, answered_within_72h, median_answer_h]
-- drill: team_name
-- needs: [agent_requests.answered_at]
-- labels: {manager: "Manager (team)", within_72h_pct: "Answered within 72 h %", requests: "Requests", answered_within_72h: "Answered within 72 h", median_answer_h: "Median time to answer (h)", team_name: "Team"}
-- order: 10
-- params: [date_from, date_to, site, team]
with scoped_agents as (
    -- agents count under their current team, so a manager answers for the team they lead now
    select * from filtered_agents($site, $team)
),

requests_in_period as (
    select
        a.manager_name,
        a.team_name,
        r.answered_at <= r.opened_at + interval 72 hour                 as answered_in_time,
        date_diff('minute', r.opened_at, r.answered_at) / 60.0          as answer_h
    from agent_requests as r
    join scoped_agents as a using (agent_id)
    where r.opened_at >= $date_from and r.opened_at < $date_to + interval 1 day
),

per_manager as (
    select
        manager_name,
        team_name,
        count(*)                                     as requests,
        count(*) filter (where answered_in_time)     as answered_within_72h,
        median(answer_h)                             as median_answer_h
    from requests_in_period
    group by manager_name, team_name
)

select
    manager_name || ' (' || team_name || ')'                       as manager,
    team_name,
    100.0 * answered_within_72h / requests                         as within_72h_pct,
    100.0 * wilson_lower(answered_within_72h, requests)            as within_72h_low,
    100.0 * wilson_upper(answered_within_72h, requests)            as within_72h_high,
    requests,
    answered_within_72h,
    round(median_answer_h, 1)                                      as median_answer_h
from per_manager
order by within_72h_pct desc, manager
