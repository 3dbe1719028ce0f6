-- title: Who decided exceptions, by team
-- description: Share of each team's exception requests decided by the agent, a team lead, a manager or senior management, of those whose deciding level is recorded (n on hover); teams ordered by their current authority limit (on hover).
-- page: escalations
-- needs: [interactions.escalation_depth, interactions.exception_requested]
-- chart: bar
-- order: 40
-- x: team_name
-- y: [agent_pct, team_lead_pct, manager_pct, senior_management_pct]
-- hover: [authority_limit, exception_requests]
-- drill: team_name
-- barmode: stack
-- y_title: "% of exception requests"
-- x_title: "Team"
-- labels: {team_name: "Team", agent_pct: "0 · agent", team_lead_pct: "1 · team lead", manager_pct: "2 · manager", senior_management_pct: "3 · senior management", authority_limit: "Authority limit (current)", exception_requests: "Exception requests with a recorded level (n)"}
-- params: [date_from, date_to, site, team, channel, touchpoint]
with team_limits as (
    select team_id, median(authority_limit)::double as authority_limit
    from filtered_agents($site, $team)
    group by team_id
),

by_team as (
    select
        team_id,
        team_name,
        -- with a recorded level; summed from the team-grain monthly rollup (data/schema.sql, contact_team_months)
        coalesce(sum(contacts) filter (where escalation_depth is not null), 0)::bigint as exception_requests,
        coalesce(sum(contacts) filter (where escalation_depth = 0), 0)::bigint       as by_agent,
        coalesce(sum(contacts) filter (where escalation_depth = 1), 0)::bigint       as by_team_lead,
        coalesce(sum(contacts) filter (where escalation_depth = 2), 0)::bigint       as by_manager,
        coalesce(sum(contacts) filter (where escalation_depth >= 3), 0)::bigint      as by_senior_management
    from filtered_team_months($date_from, $date_to, $site, $team, $channel, $touchpoint)
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
