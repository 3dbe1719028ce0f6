-- title: Who decided exceptions, month by month
-- description: Share of the month's exception requests decided by the agent, a team lead, a manager or senior management, of those whose deciding level is recorded (n on hover). Filter to one team to see a change in its authority limit.
-- page: escalations
-- needs: [interactions.escalation_depth, interactions.exception_requested]
-- chart: bar
-- order: 42
-- x: month_label
-- y: [agent_pct, team_lead_pct, manager_pct, senior_management_pct]
-- hover: [exception_requests]
-- barmode: stack
-- y_title: "% of exception requests"
-- labels: {month_label: "Month", agent_pct: "0 · agent", team_lead_pct: "1 · team lead", manager_pct: "2 · manager", senior_management_pct: "3 · senior management", exception_requests: "Exception requests with a recorded level (n)"}
-- params: [date_from, date_to, site, team, channel, touchpoint]
with by_month as (
    select
        month,
        -- with a recorded level; summed from the team-grain monthly rollup (data/schema.sql, contact_team_months)
        coalesce(sum(contacts) filter (where escalation_depth is not null), 0)::bigint as exception_requests,
        coalesce(sum(contacts) filter (where escalation_depth = 0), 0)::bigint       as by_agent,
        coalesce(sum(contacts) filter (where escalation_depth = 1), 0)::bigint       as by_team_lead,
        coalesce(sum(contacts) filter (where escalation_depth = 2), 0)::bigint       as by_manager,
        coalesce(sum(contacts) filter (where escalation_depth >= 3), 0)::bigint      as by_senior_management
    from filtered_team_months($date_from, $date_to, $site, $team, $channel, $touchpoint)
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
