-- title: Time to resolution by escalation depth
-- description: Median hours from joining the queue to resolution (for an exception, to its decision), resolved contacts only; whiskers show the middle half of contacts (25th to 75th percentile), not a confidence interval. Each level adds hours of waiting for the customer. Association, not proof of cause.
-- page: escalations
-- needs: [interactions.escalation_depth, interactions.exception_requested, interactions.resolved, interactions.resolution_s]
-- n: resolved_contacts
-- unknown: no recorded exception request or escalation level
-- reading: {medians: first, unit: h}
-- chart: bar
-- order: 24
-- x: decided_by
-- y: median_hours
-- error_low: p25_hours
-- error_high: p75_hours
-- hover: [resolved_contacts, mean_hours]
-- y_title: "Hours to resolution (median)"
-- labels: {decided_by: "Decided by", median_hours: "Median time to resolution", resolved_contacts: "Resolved contacts (n)", mean_hours: "Mean hours", p25_hours: "25th percentile", p75_hours: "75th percentile"}
-- params: [date_from, date_to, site, team, channel, touchpoint]
with resolved_contacts as (
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
        resolution_s / 3600.0 as hours
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned and resolved and resolution_s is not null
)

select
    decided_by,
    count(*)                              as resolved_contacts,
    median(hours)                         as median_hours,
    quantile_cont(hours, 0.25)            as p25_hours,
    quantile_cont(hours, 0.75)            as p75_hours,
    avg(hours)                            as mean_hours,
    depth_order
from resolved_contacts
group by decided_by, depth_order
order by depth_order
