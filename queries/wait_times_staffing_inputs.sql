-- title: Staffing what-if inputs
-- description: Defaults for the Erlang C and Erlang A what-if, namely the mean contacts per hour in the busiest hour of the week (that weekday-hour's contacts / the number of such weekdays in the period with data), the AHT of answered contacts (handle time / answered contacts with a handle time), and the callers' mean patience (all time spent waiting, abandoned and answered / abandoned contacts, which is the maximum-likelihood mean of an exponential patience, an answered caller's wait being a patience cut short by the answer).
-- page: wait-times
-- chart: data
-- needs: [contact_intervals]
-- column_needs: {aht_s: contact_intervals.handle_s, patience_s: contact_intervals.abandoned_wait_s}
-- labels: {aht_s: AHT, patience_s: Mean patience}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- Everything is summed from the KPI layer (data/schema.sql): its hours (filtered_hours) for the busiest
-- hour, contact_days for the period's handling and waiting.
with data_span as (
    -- the store's whole span: days of the period outside it hold no data, so they must not
    -- dilute the mean (a period reaching past the last day of data, say)
    select min(day) as first_day, max(day) as last_day
    from contact_days
),

period_days as (
    select d::date as day
    from data_span,
         generate_series(greatest($date_from::date, first_day), least($date_to::date, last_day), interval 1 day) as g(d)
),

weekday_counts as (
    select isodow(day) as weekday_number, count(*) as days
    from period_days
    group by weekday_number
),

hour_of_week_contacts as (
    select isodow(day) as weekday_number, dayname(day) as weekday, hour, sum(offered)::bigint as contacts
    from filtered_hours($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by all
),

busiest_hour as (
    select h.weekday, h.hour, h.contacts, w.days, h.contacts / w.days as contacts_per_hour
    from hour_of_week_contacts as h
    join weekday_counts as w using (weekday_number)
    order by contacts_per_hour desc, h.weekday_number, h.hour
    limit 1
),

handling as (
    select sum(handle_s)::bigint   as handle_s,
           sum(handled)::bigint    as handled,
           sum(answered)::bigint   as answered
    from filtered_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

waiting as (
    -- exponential patience, estimated from every wait: an abandoned wait is a whole patience, an
    -- answered wait a patience cut short by the answer (censored). The likelihood is then maximised
    -- by all time waited / abandoned contacts.
    select (sum(answered_wait_s) + sum(abandoned_wait_s))::bigint        as waited_s,
           (sum(answered_with_wait) + sum(abandoned_with_wait))::bigint  as waits,
           sum(abandoned_with_wait)::bigint                              as abandoned
    from filtered_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
)

select
    b.weekday                              as busiest_weekday,
    b.hour                                 as busiest_hour,
    b.contacts                             as busiest_hour_contacts,
    b.days                                 as busiest_hour_days,
    b.contacts_per_hour,
    h.handle_s / nullif(h.handled, 0)      as aht_s,
    h.answered,
    w.waited_s / nullif(w.abandoned, 0)    as patience_s,
    w.waits                                as patience_waits,
    w.abandoned                            as patience_abandoned
from busiest_hour as b, handling as h, waiting as w
