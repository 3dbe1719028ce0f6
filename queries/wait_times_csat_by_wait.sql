-- title: CSAT by wait before answer
-- description: Share of survey answers of 4 or 5 by how long the customer queued before an agent answered, with 95 % Wilson intervals; hover a point for the number of answers behind it. Answers whose contact has no recorded wait are in no bucket; they are left out and counted under the chart. Association, not proof of cause.
-- page: wait-times
-- chart: line
-- order: 10
-- x: wait_bucket
-- y: csat
-- error_low: csat_low
-- error_high: csat_high
-- hover: [survey_answers]
-- labels: {wait_bucket: "Wait before answer", csat: "CSAT %", survey_answers: "Survey answers"}
-- needs: [interactions.wait_s, customer_surveys.csat]
-- n: survey_answers
-- unknown: no recorded wait before answer
-- params: [date_from, date_to, site, team, channel, touchpoint]
with wait_buckets (bucket_order, wait_bucket) as (
    -- one row per bucket, in wait order, so every bucket shows even when empty
    values (1, '0-10 s'), (2, '10-30 s'), (3, '30-60 s'), (4, '1-2 min'), (5, '2-5 min'),
           (6, '5-10 min'), (7, '10 min+')
),

answered_contacts as (
    select interaction_id, wait_s
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
),

surveyed_contacts as (
    -- only answered contacts are surveyed; wait_s is their time in queue until an agent answered
    select
        case
            when i.wait_s < 10 then 1
            when i.wait_s < 30 then 2
            when i.wait_s < 60 then 3
            when i.wait_s < 120 then 4
            when i.wait_s < 300 then 5
            when i.wait_s < 600 then 6
            when i.wait_s >= 600 then 7
        end as bucket_order,  -- null when the wait is not recorded: no bucket at all
        s.csat
    from answered_contacts as i
    join customer_surveys as s using (interaction_id)
    where s.csat is not null
      -- only the answers within the span of the contacts' ids are read: ids follow time in most stores, so
      -- a quarter's contacts read a quarter's answers, not all of them (the result is the same)
      and s.interaction_id between (select min(interaction_id) from answered_contacts)
                               and (select max(interaction_id) from answered_contacts)
),

bucket_totals as (
    select
        bucket_order,
        count(*)                             as answers,
        count(*) filter (where csat >= 4)    as satisfied
    from surveyed_contacts
    group by bucket_order
)

select
    b.bucket_order,
    b.wait_bucket,
    100.0 * t.satisfied / nullif(t.answers, 0)           as csat,
    100.0 * wilson_lower(t.satisfied, t.answers)         as csat_low,
    100.0 * wilson_upper(t.satisfied, t.answers)         as csat_high,
    coalesce(t.answers, 0)                               as survey_answers
from wait_buckets as b
-- a full join keeps the answers of no bucket (null wait): the chart leaves them out and counts them
full join bucket_totals as t using (bucket_order)
-- no rows at all (rather than seven empty buckets) when the filters leave no survey answers
where exists (select 1 from bucket_totals)
order by b.bucket_order
