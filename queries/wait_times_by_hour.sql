-- title: By hour of day and weekday
-- description: ASA (total wait of answered contacts / answered contacts with a recorded wait), service level (answered within 20 s / (answered with a recorded wait + abandoned after 20 s)) and abandon rate (abandoned / offered), by the hour the contact joined the queue and its weekday; cells with fewer than 10 contacts are left blank. The Data table below the chart lists the contacts behind each cell.
-- page: wait-times
-- chart: data
-- x: hour
-- y: weekday
-- z: service_level
-- labels: {hour: "Hour of day", weekday: "Weekday", service_level: "Service level % (20 s)", asa: "ASA (s)", abandon_rate: "Abandon rate %"}
-- needs: [interactions]
-- column_needs: {asa: interactions.wait_s, service_level: interactions.wait_s, abandon_rate: interactions.abandoned}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- Drawn as a heatmap by dashboard/views/wait_times.py under a measure picker that sets z to one of
-- the three measures, and turns the colour scale round where lower is better so green means good.
with contacts as (
    select
        isodow(queued_at)    as weekday_number,   -- 1 = Monday: rows are ordered Monday to Sunday
        dayname(queued_at)   as weekday,
        hour(queued_at)      as hour,
        wait_s,
        abandoned
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

cell_totals as (
    select
        weekday_number,
        weekday,
        hour,
        count(*)                                                   as offered,
        count(*) filter (where not abandoned)                      as answered,
        count(wait_s) filter (where not abandoned)                 as answered_with_wait,
        count(*) filter (where abandoned)                          as abandoned,
        count(*) filter (where not abandoned and wait_s <= 20)     as answered_within_20s,
        count(*) filter (where abandoned and wait_s > 20)          as abandoned_after_20s,
        sum(wait_s) filter (where not abandoned)                   as answered_wait_s
    from contacts
    group by weekday_number, weekday, hour
    -- a handful of contacts makes a cell swing between 0 and 100 %: too few to read
    having count(*) >= 10
)

select
    weekday_number,
    weekday,
    hour,
    -- as the overview's KPIs: only contacts whose wait is known are judged
    answered_wait_s / nullif(answered_with_wait, 0)                                   as asa,
    100.0 * answered_within_20s / nullif(answered_with_wait + abandoned_after_20s, 0) as service_level,
    100.0 * abandoned / nullif(offered, 0)                                    as abandon_rate,
    offered,
    answered,
    abandoned
from cell_totals
order by weekday_number, hour
