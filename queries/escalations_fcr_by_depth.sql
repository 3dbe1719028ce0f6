-- title: First-contact resolution by escalation depth
-- description: Answered contacts resolved with no repeat by the customer on the same touchpoint within 7 days / answered contacts whose resolution is recorded, for contacts with no exception asked and for exception requests by the level that decided them; whiskers are Wilson 95 % intervals, n on hover. Association, not proof of cause.
-- page: escalations
-- needs: [interactions.escalation_depth, interactions.exception_requested, interactions.resolved, interactions.customer_id]
-- n: answered_contacts
-- unknown: no recorded exception request or escalation level
-- reading: {compare: first, hits: resolved_first_time}
-- chart: bar
-- order: 22
-- x: decided_by
-- y: fcr_pct
-- error_low: fcr_low_pct
-- error_high: fcr_high_pct
-- hover: [answered_contacts, resolved_first_time]
-- y_title: "FCR %"
-- labels: {decided_by: "Decided by", fcr_pct: "FCR %", answered_contacts: "Answered contacts (n)", resolved_first_time: "Resolved, no repeat in 7 days"}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the team-grain monthly rollup (data/schema.sql: filtered_team_months), equal to the contacts' sums
with answered as (
    select
        case when not exception_requested then -1 when exception_requested then escalation_depth end as depth_order,
        -- an unknown request flag or level is no level at all: null, left out of the chart and counted
        case
            when exception_requested is null then null
            when not exception_requested then 'No exception asked'
            when escalation_depth = 0 then '0 · agent'
            when escalation_depth = 1 then '1 · team lead'
            when escalation_depth = 2 then '2 · manager'
            when escalation_depth >= 3 then '3 · senior management'
        end as decided_by,
        resolution_known,
        first_contact_resolved
    from filtered_team_months($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
),

by_depth as (
    -- as the KPI: only contacts whose resolution is recorded are judged
    select decided_by, depth_order, sum(resolution_known)::bigint as answered_contacts,
           sum(first_contact_resolved)::bigint as resolved_first_time
    from answered
    group by decided_by, depth_order
    having sum(resolution_known) > 0
)

select
    decided_by,
    answered_contacts,
    resolved_first_time,
    100.0 * resolved_first_time / answered_contacts                       as fcr_pct,
    100.0 * wilson_lower(resolved_first_time, answered_contacts)          as fcr_low_pct,
    100.0 * wilson_upper(resolved_first_time, answered_contacts)          as fcr_high_pct,
    depth_order
from by_depth
order by depth_order
