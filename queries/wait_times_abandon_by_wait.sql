-- title: Abandon rate by time in queue
-- description: Of the contacts whose time in queue (until an agent answered or the customer gave up) fell in each bucket, the share that gave up, with 95 % Wilson intervals; hover for the contacts behind each point. One line per channel, and all channels pooled when several are in scope. Long waits are mostly messaging, whose customers are the most patient, so the pooled line can bend down at the longest waits while each channel's line rises. Contacts with no recorded time in queue are left out (counted under the chart), and with no abandoned contact that has one there is nothing to draw. Association, not proof of cause.
-- page: wait-times
-- chart: line
-- order: 20
-- x: wait_bucket
-- y: abandon_rate
-- color: series
-- error_low: abandon_rate_low
-- error_high: abandon_rate_high
-- hover: [offered, abandoned]
-- labels: {wait_bucket: "Time in queue", abandon_rate: "Abandon rate %", series: "Channel", offered: "Contacts", abandoned: "Abandoned"}
-- needs: [interactions.wait_s, interactions.abandoned]
-- n: offered
-- unknown: no recorded time in queue
-- reading: {compare: ends, hits: abandoned, by: series, leave_out: ["All channels"]}
-- params: [date_from, date_to, site, team, channel, touchpoint]
with channel_buckets as (
    -- contacts per channel and bucket of their time in queue (contact_wait_days): null when it is not
    -- recorded, no bucket at all
    select
        channel,
        wait_bucket::integer          as bucket_order,
        sum(offered)::bigint          as offered,
        sum(abandoned)::bigint        as abandoned
    from filtered_wait_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by channel, wait_bucket
),

bucket_totals as (
    -- each channel, and all channels pooled, in one pass
    select
        case when grouping(channel) = 1 then 'All channels' else channel end as series,
        bucket_order,
        sum(offered)::bigint                   as offered,
        sum(abandoned)::bigint                 as abandoned
    from channel_buckets
    group by grouping sets ((channel, bucket_order), (bucket_order))
),

series_in_scope as (
    -- the pooled line only adds something when it mixes several channels
    select distinct series
    from bucket_totals
    where (series <> 'All channels' or (select count(distinct channel) from channel_buckets) > 1)
      -- without a recorded wait for any lost contact, every rate would read 0 %: show nothing instead
      and exists (select 1 from channel_buckets where abandoned > 0 and bucket_order is not null)
),

series_buckets as (
    -- every bucket on every line, so each line lists the buckets in wait order
    select s.series, b.bucket_order, b.wait_bucket
    from series_in_scope as s
    cross join wait_buckets() as b
),

-- the line's buckets, then the contacts of no bucket once per channel (the pooled line would count
-- them twice): the chart leaves those out and counts them
every_row as (
    select
        g.series,
        g.bucket_order,
        g.wait_bucket,
        100.0 * t.abandoned / nullif(t.offered, 0)            as abandon_rate,
        100.0 * wilson_lower(t.abandoned, t.offered)          as abandon_rate_low,
        100.0 * wilson_upper(t.abandoned, t.offered)          as abandon_rate_high,
        coalesce(t.offered, 0)                                as offered,
        coalesce(t.abandoned, 0)                              as abandoned
    from series_buckets as g
    left join bucket_totals as t using (series, bucket_order)
    union all
    select series, null, null, null, null, null, offered, abandoned
    from bucket_totals
    where bucket_order is null and series <> 'All channels'
)

select *
from every_row
order by series = 'All channels', series, bucket_order nulls last
