-- title: Staffing what-if inputs
-- description: Defaults for the Erlang C what-if, namely the mean contacts per hour in the busiest hour of the week (that weekday-hour's contacts / the number of such weekdays in the period with data), and the AHT of answered contacts (handle time / answered contacts with a handle time).
-- page: wait-times
-- chart: data
-- needs: [interactions]
-- column_needs: {aht_s: interactions.handle_s}
-- labels: {aht_s: AHT}
-- params: [date_from, date_to, site, team, channel, touchpoint]
with scoped as (
    select * from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

data_span as (
    -- the store's whole span: days of the period outside it hold no data, so they must not
    -- dilute the mean (a period reaching past the last day of data, say)
    select min(queued_at)::date as first_day, max(queued_at)::date as last_day
    from interactions
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
    select isodow(queued_at) as weekday_number, dayname(queued_at) as weekday, hour(queued_at) as hour,
           count(*) as contacts
    from scoped
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
    select sum(handle_s) filter (where not abandoned)   as handle_s,
           count(handle_s) filter (where not abandoned) as handled,
           count(*) filter (where not abandoned)        as answered
    from scoped
)

select
    b.weekday                              as busiest_weekday,
    b.hour                                 as busiest_hour,
    b.contacts                             as busiest_hour_contacts,
    b.days                                 as busiest_hour_days,
    b.contacts_per_hour,
    h.handle_s / nullif(h.handled, 0)      as aht_s,
    h.answered
from busiest_hour as b, handling as h
