-- title: CSAT by wait before answer
-- description: Share of survey answers of 4 or 5 by how long the customer queued before an agent answered, with 95 % Wilson intervals; hover a point for the number of answers behind it. Answers whose contact has no recorded wait are in no bucket; they are left out and counted under the chart. Association, not proof of cause.
-- page: wait-times
-- chart: line
-- order: 10
-- x: wait_bucket
-- y: csat
-- error_low: csat_low
-- error_high: csat_high
-- hover: [survey_answers, satisfied_answers]
-- labels: {wait_bucket: "Wait before answer", csat: "CSAT %", survey_answers: "Survey answers", satisfied_answers: "Answers of 4-5"}
-- needs: [interactions.wait_s, customer_surveys.csat]
-- n: survey_answers
-- unknown: no recorded wait before answer
-- reading: {compare: ends, hits: satisfied_answers}
-- params: [date_from, date_to, site, team, channel, touchpoint]
with bucket_totals as (
    -- the survey answers on answered contacts, summed per bucket of their wait (contact_wait_days): null
    -- when the wait is not recorded, no bucket at all; buckets no answer fell in are left out
    select
        wait_bucket::integer                 as bucket_order,
        sum(csat_answers)::bigint            as answers,
        sum(csat_satisfied)::bigint          as satisfied
    from filtered_wait_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by wait_bucket
    having sum(csat_answers) > 0
)

select
    b.bucket_order,
    b.wait_bucket,
    100.0 * t.satisfied / nullif(t.answers, 0)           as csat,
    100.0 * wilson_lower(t.satisfied, t.answers)         as csat_low,
    100.0 * wilson_upper(t.satisfied, t.answers)         as csat_high,
    coalesce(t.answers, 0)                               as survey_answers,
    coalesce(t.satisfied, 0)                             as satisfied_answers
-- every bucket, in wait order, so every bucket shows even when empty
from wait_buckets() as b
-- a full join keeps the answers of no bucket (null wait): the chart leaves them out and counts them
full join bucket_totals as t using (bucket_order)
-- no rows at all (rather than seven empty buckets) when the filters leave no survey answers
where exists (select 1 from bucket_totals)
order by b.bucket_order
