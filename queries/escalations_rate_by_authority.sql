-- title: Escalation rate against the agents' authority limit
-- description: One point per team. x is the team's current authority limit (median over its agents); y is the share of its exception requests (those whose deciding level is recorded) that the agent passed up (depth 1 or more), with Wilson 95 % intervals and n on hover. For a team whose limit was changed by an 'empowerment' event, only requests from the event's start on count, so the limit shown is the one in force. Association, not proof of cause.
-- page: escalations
-- needs: [interactions.escalation_depth, interactions.exception_requested, agents.authority_limit]
-- chart: scatter
-- order: 30
-- x: authority_limit
-- y: escalated_pct
-- color: site
-- error_low: escalated_low_pct
-- error_high: escalated_high_pct
-- hover: [team_name, exception_requests, escalated]
-- drill: team_name
-- dodge: true
-- x_title: "Authority limit (current, money an agent may grant)"
-- y_title: "Exception requests escalated %"
-- labels: {authority_limit: "Authority limit", escalated_pct: "Escalated %", team_name: "Team", exception_requests: "Exception requests (n)", escalated: "Escalated", site: "Site"}
-- params: [date_from, date_to, site, team, channel, touchpoint]
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
