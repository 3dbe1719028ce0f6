-- title: Time to resolution by escalation depth
-- description: Median hours from joining the queue to resolution (for an exception, to its decision), resolved contacts only; whiskers show the middle half of contacts (25th to 75th percentile), not a confidence interval. Each level adds hours of waiting for the customer. Association, not proof of cause.
-- page: escalations
-- needs: [interactions.escalation_depth, interactions.exception_requested, interactions.resolved, interactions.resolution_s]
-- n: resolved_contacts
-- unknown: no recorded exception request or escalation level
-- chart: bar
-- order: 24
-- x: decided_by
-- y: median_hours
-- error_low: p25_hours
-- error_high: p75_hours
-- hover: [resolved_contacts, mean_hours]
-- y_title: "Hours to resolution (median)"
-- labels: {decided_by: "Decided by", median_hours: "Median hours", resolved_contacts: "Resolved contacts (n)", mean_hours: "Mean hours", p25_hours: "25th percentile", p75_hours: "75th percentile"}
-- params: [date_from, date_to, site, team, channel, touchpoint]
with time_counts as (
    -- resolved contacts per level and time to resolution (seconds): the rollup's rows of the period's
    -- months and cells, and the contacts of any partial month, so a time may come in several rows.
    -- depth_order alone picks out the level: the import allows levels 0 to 3 only
    select
        case when not exception_requested then -1 when exception_requested then escalation_depth end as depth_order,
        exception_requested,
        escalation_depth,
        resolution_s,
        contacts
    from filtered_resolutions($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

cumulative as (
    -- the contacts of the level resolved in at most each time (rows of one time count together,
    -- whichever comes first: the first row whose count passes a rank still holds that rank's time)
    select
        *,
        (sum(contacts) over (partition by depth_order order by resolution_s
                             rows between unbounded preceding and current row))::bigint as resolved_by_then
    from time_counts
),

levels as (
    -- one contact's request flag and level stand for its level's (taken together, from one row)
    select
        depth_order,
        any_value({'requested': exception_requested, 'depth': escalation_depth})   as example,
        sum(contacts)::bigint                                                        as resolved,
        sum(resolution_s::hugeint * contacts)                                        as total_s
    from time_counts
    group by depth_order
),

labelled as (
    select
        *,
        -- an unknown request flag or level is no level at all: null, left out of the chart and counted
        case
            when example.requested is null then null
            when not example.requested then 'No exception asked'
            when example.depth = 0 then '0 · agent'
            when example.depth = 1 then '1 · team lead'
            when example.depth = 2 then '2 · manager'
            when example.depth >= 3 then '3 · senior management'
        end as decided_by
    from levels
),

ranks as (
    -- quantile_cont's position among n sorted contacts is (n - 1) * q, 0-based: the ranks at its floor
    -- and its ceiling, in whole numbers (q = 1/4, 1/2, 3/4)
    select
        *,
        (resolved - 1) // 4             as p25_below,
        (resolved - 1 + 3) // 4         as p25_above,
        (resolved - 1) // 2             as median_below,
        (resolved - 1 + 1) // 2         as median_above,
        3 * (resolved - 1) // 4         as p75_below,
        (3 * (resolved - 1) + 3) // 4   as p75_above
    from levels
),

neighbours as (
    -- the times at those ranks: the first time whose count resolved by then passes the rank
    select
        c.depth_order,
        min(c.resolution_s) filter (where c.resolved_by_then > r.p25_below)      as p25_below_s,
        min(c.resolution_s) filter (where c.resolved_by_then > r.p25_above)      as p25_above_s,
        min(c.resolution_s) filter (where c.resolved_by_then > r.median_below)   as median_below_s,
        min(c.resolution_s) filter (where c.resolved_by_then > r.median_above)   as median_above_s,
        min(c.resolution_s) filter (where c.resolved_by_then > r.p75_below)      as p75_below_s,
        min(c.resolution_s) filter (where c.resolved_by_then > r.p75_above)      as p75_above_s
    from cumulative as c
    join ranks as r on r.depth_order is not distinct from c.depth_order
    group by c.depth_order
),

stand_ins as (
    -- the hours DuckDB's own quantile_cont and median then interpolate, so they equal those over every
    -- contact to the last digit: m = (n - 1) mod 4 + 1 values (the position's fraction is the same for
    -- m and n, q being a multiple of 1/4), the floor's time up to the position and the ceiling's after
    select
        n.depth_order,
        q.q,
        case when i.i <= floor(((l.resolved - 1) % 4) * q.q) then q.below_s else q.above_s end / 3600.0 as hours
    from neighbours as n
    join levels as l on l.depth_order is not distinct from n.depth_order
    cross join lateral (values (0.25, n.p25_below_s, n.p25_above_s), (0.5, n.median_below_s, n.median_above_s),
                               (0.75, n.p75_below_s, n.p75_above_s)) as q(q, below_s, above_s)
    cross join range(4) as i(i)
    where i.i <= (l.resolved - 1) % 4
),

quartiles as (
    select
        depth_order,
        median(hours) filter (where q = 0.5)                as median_hours,
        quantile_cont(hours, 0.25) filter (where q = 0.25)  as p25_hours,
        quantile_cont(hours, 0.75) filter (where q = 0.75)  as p75_hours
    from stand_ins
    group by depth_order
)

select
    l.decided_by,
    l.resolved                          as resolved_contacts,
    q.median_hours,
    q.p25_hours,
    q.p75_hours,
    -- the exact sum of seconds over the count: the contacts' mean up to float rounding
    l.total_s / 3600.0 / l.resolved     as mean_hours,
    l.depth_order
from labelled as l
join quartiles as q on q.depth_order is not distinct from l.depth_order
order by l.depth_order
