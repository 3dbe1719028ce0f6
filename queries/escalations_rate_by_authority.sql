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
-- reading: {correlate: teams}
-- x_title: "Authority limit (current, money an agent may grant)"
-- y_title: "Exception requests escalated %"
-- labels: {authority_limit: "Authority limit", escalated_pct: "Share escalated %", team_name: "Team", exception_requests: "Exception requests (n)", escalated: "Escalated", site: "Site"}
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

-- summed from the team-grain monthly rollup (data/schema.sql: filtered_team_months), equal to the contacts' sums:
-- a team's months from the one its limit changed in, whole; that month itself, from the change on, from
-- the team-grain day rollup when the change fell after the month's first day
exception_months as (
    select m.team_id, m.team_name, m.site, m.escalation_depth, m.contacts
    from filtered_team_months($date_from, $date_to, $site, $team, $channel, $touchpoint) as m
    left join limit_in_force_since as f using (team_id)
    where not m.abandoned
      and m.exception_requested
      and (f.since is null or f.since <= $date_from or m.month >= f.since)
),

changes_after_a_month_began as (
    select team_id, since
    from limit_in_force_since
    where since > $date_from and date_trunc('month', since) < since
),

exceptions_in_change_month as (
    -- the change month's days from the change on, from the team-grain day rollup: no contact is read
    select d.team_id, d.team_name, d.site, d.escalation_depth, d.contacts
    from filtered_team_days($date_from, $date_to, $site, $team, $channel, $touchpoint) as d
    join changes_after_a_month_began as f using (team_id)
    where not d.abandoned
      and d.exception_requested
      and d.day >= f.since
      and d.day < date_trunc('month', f.since) + interval 1 month
),

by_team as (
    select team_id, team_name, site,
           coalesce(sum(contacts) filter (where escalation_depth is not null), 0)::bigint as exception_requests,  -- with a recorded level
           coalesce(sum(contacts) filter (where escalation_depth > 0), 0)::bigint         as escalated
    from (select * from exception_months union all select * from exceptions_in_change_month)
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
