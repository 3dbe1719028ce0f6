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
with time_counts as materialized (
    -- resolved contacts per level and time to resolution (seconds): the rollup's rows of the period's
    -- months and cells, and the contacts of any partial month, so a time may come in several rows.
    -- depth_order alone picks out the level (the import allows levels 0 to 3 only); level is the same
    -- with -9 for null (no level), so joins compare plain numbers
    select
        case when not exception_requested then -1 when exception_requested then escalation_depth end as depth_order,
        coalesce(depth_order, -9)                                                                      as level,
        exception_requested,
        escalation_depth,
        resolution_s,
        contacts,
        -- a band of times, 16 s wide under 17 min, above that a sixteenth to a quarter of its times:
        -- counts per band find the few bands holding the quartiles, so only their times are sorted
        case
            when resolution_s < 1024 then resolution_s // 16
            when resolution_s < 4096 then 64 + resolution_s // 256
            when resolution_s < 16384 then 128 + resolution_s // 1024
            when resolution_s < 65536 then 192 + resolution_s // 4096
            when resolution_s < 262144 then 256 + resolution_s // 16384
            when resolution_s < 1048576 then 320 + resolution_s // 65536
            else 384 + resolution_s // 262144
        end as band
    from filtered_resolutions($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

levels as (
    select
        level,
        any_value(depth_order)                  as depth_order,
        -- every contact of a known level has the same request flag and level
        any_value(exception_requested)          as exception_requested,
        any_value(escalation_depth)             as escalation_depth,
        sum(contacts)::bigint                   as resolved,
        sum(resolution_s * contacts)            as total_s
    from time_counts
    group by level
),

labelled as (
    select
        *,
        -- an unknown request flag or level is no level at all: null, left out of the chart and counted
        case
            when depth_order is null or exception_requested is null then null
            when not exception_requested then 'No exception asked'
            when escalation_depth = 0 then '0 · agent'
            when escalation_depth = 1 then '1 · team lead'
            when escalation_depth = 2 then '2 · manager'
            when escalation_depth >= 3 then '3 · senior management'
        end as decided_by
    from levels
),

ranks as (
    -- quantile_cont's position among n sorted contacts is (n - 1) * q, 0-based: the ranks at its floor
    -- and its ceiling, in whole numbers (q = 1/4, 1/2, 3/4)
    select l.level, r.neighbour, r.rank
    from levels as l
    cross join lateral (values ('p25_below', (l.resolved - 1) // 4), ('p25_above', (l.resolved + 2) // 4),
                               ('median_below', (l.resolved - 1) // 2), ('median_above', l.resolved // 2),
                               ('p75_below', 3 * (l.resolved - 1) // 4), ('p75_above', 3 * l.resolved // 4))
        as r(neighbour, rank)
),

band_spans as (
    -- the contacts of the level resolved before each band and by its end
    select
        level,
        band,
        (sum(sum(contacts)) over (partition by level order by band
                                  rows between unbounded preceding and current row))::bigint as by_band_end,
        by_band_end - sum(contacts)::bigint                                                  as before_band
    from time_counts
    group by level, band
),

rank_bands as (
    -- the band holding each rank
    select r.level, r.neighbour, r.rank, b.band, b.before_band
    from ranks as r
    join band_spans as b
      on b.level = r.level and r.rank >= b.before_band and r.rank < b.by_band_end
),

band_times as (
    -- the times of those bands only, and the contacts of the band resolved by each
    select
        t.level,
        t.band,
        t.resolution_s,
        (sum(sum(t.contacts)) over (partition by t.level, t.band order by t.resolution_s
                                    rows between unbounded preceding and current row))::bigint as in_band_by_then
    from time_counts as t
    semi join rank_bands as b on b.level = t.level and b.band = t.band
    group by t.level, t.band, t.resolution_s
),

neighbours as (
    -- the time at each rank: the first time of its band whose count resolved by then passes the rank
    select
        b.level,
        min(t.resolution_s) filter (where b.neighbour = 'p25_below')      as p25_below_s,
        min(t.resolution_s) filter (where b.neighbour = 'p25_above')      as p25_above_s,
        min(t.resolution_s) filter (where b.neighbour = 'median_below')   as median_below_s,
        min(t.resolution_s) filter (where b.neighbour = 'median_above')   as median_above_s,
        min(t.resolution_s) filter (where b.neighbour = 'p75_below')      as p75_below_s,
        min(t.resolution_s) filter (where b.neighbour = 'p75_above')      as p75_above_s
    from rank_bands as b
    join band_times as t
      on t.level = b.level and t.band = b.band
     and b.before_band + t.in_band_by_then > b.rank
    group by b.level
),

stand_ins as (
    -- the hours DuckDB's own quantile_cont and median then interpolate, so they equal those over every
    -- contact to the last digit: m = (n - 1) mod 4 + 1 values (the position's fraction is the same for
    -- m and n, q being a multiple of 1/4), the floor's time up to the position and the ceiling's after
    select
        n.level,
        q.q,
        case when i.i <= floor(((l.resolved - 1) % 4) * q.q) then q.below_s else q.above_s end / 3600.0 as hours
    from neighbours as n
    join levels as l on l.level = n.level
    cross join lateral (values (0.25, n.p25_below_s, n.p25_above_s), (0.5, n.median_below_s, n.median_above_s),
                               (0.75, n.p75_below_s, n.p75_above_s)) as q(q, below_s, above_s)
    cross join range(4) as i(i)
    where i.i <= (l.resolved - 1) % 4
),

quartiles as (
    select
        level,
        median(hours) filter (where q = 0.5)                as median_hours,
        quantile_cont(hours, 0.25) filter (where q = 0.25)  as p25_hours,
        quantile_cont(hours, 0.75) filter (where q = 0.75)  as p75_hours
    from stand_ins
    group by level
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
join quartiles as q on q.level = l.level
order by l.depth_order
