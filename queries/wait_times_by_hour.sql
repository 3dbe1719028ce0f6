-- title: By hour of day and weekday
-- description: ASA (total wait of answered contacts / answered contacts with a recorded wait), service level (answered within 20 s / (answered with a recorded wait + abandoned after 20 s)) and abandon rate (abandoned / offered), by the hour the contact joined the queue and its weekday; cells with fewer than 10 contacts are left blank. The Data table below the chart lists the contacts behind each cell.
-- page: wait-times
-- chart: data
-- x: hour
-- y: weekday
-- z: service_level
-- labels: {hour: "Hour of day", weekday: "Weekday", service_level: "Service level % (20 s)", asa: "ASA (s)", abandon_rate: "Abandon rate %"}
-- needs: [contact_intervals]
-- column_needs: {asa: contact_intervals.answered_wait_s, service_level: [contact_intervals.answered_within_20s, contact_intervals.abandoned_after_20s], abandon_rate: contact_intervals.abandoned}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- Drawn as a heatmap by dashboard/views/wait_times.py under a measure picker that sets z to one of
-- the three measures, and turns the colour scale round where lower is better so green means good.
-- summed from the interval table's hours (data/schema.sql: filtered_hours): an interval never straddles an hour
with cell_totals as (
    select
        isodow(day)    as weekday_number,   -- 1 = Monday: rows are ordered Monday to Sunday
        dayname(day)   as weekday,
        hour,
        sum(offered)::bigint                as offered,
        sum(answered)::bigint               as answered,
        sum(answered_with_wait)::bigint     as answered_with_wait,
        sum(abandoned)::bigint              as abandoned,
        sum(answered_within_20s)::bigint    as answered_within_20s,
        sum(abandoned_after_20s)::bigint    as abandoned_after_20s,
        sum(answered_wait_s)::bigint        as answered_wait_s
    from filtered_hours($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by weekday_number, weekday, hour
    -- a handful of contacts makes a cell swing between 0 and 100 %: too few to read
    having sum(offered) >= 10
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
