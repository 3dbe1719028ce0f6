-- title: Customer side
-- description: What customers went through in the period, against the previous period and target.
-- page: overview
-- chart: kpi
-- order: 10
-- params: [date_from, date_to, site, team, channel, touchpoint]
with scoped as (
    select * from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

contact_totals as (
    select
        count(*)                                                         as offered,
        count(*) filter (where not abandoned)                            as answered,
        count(*) filter (where abandoned)                                as abandoned,
        count(*) filter (where not abandoned and wait_s <= 20)           as answered_within_20s,
        count(*) filter (where abandoned and wait_s > 20)                as abandoned_after_20s,
        sum(wait_s) filter (where not abandoned)                         as answered_wait_s,
        sum(handle_s) filter (where not abandoned)                       as handle_s,
        count(*) filter (where not abandoned and resolved and not repeat_within_7d) as first_contact_resolved,
        count(*) filter (where not abandoned and escalation_depth > 0)   as escalated,
        count(escalation_depth) filter (where not abandoned)             as depth_recorded
    from scoped
),

survey_totals as (
    select
        count(s.csat)                              as csat_answers,
        count(*) filter (where s.csat >= 4)        as csat_satisfied,
        count(s.nps)                               as nps_answers,
        count(*) filter (where s.nps >= 9)         as promoters,
        count(*) filter (where s.nps <= 6)         as detractors,
        avg(s.ces)                                 as ces
    from scoped
    join customer_surveys as s using (interaction_id)
),

-- customers active at the start of the period; with a scope filter, those the scope has served
churn_base as (
    select c.customer_id, c.churned_on
    from customers as c
    where c.joined_on < $date_from
      and (c.churned_on is null or c.churned_on >= $date_from)
      and (
          ($site is null and $team is null and $channel is null and $touchpoint is null)
          or c.customer_id in (
              -- every contact up to the period's end: when the scope served the customer does not matter
              select customer_id
              from filtered_interactions(date '1900-01-01', $date_to, $site, $team, $channel, $touchpoint)
          )
      )
),

churn_totals as (
    select count(*) as active_at_start, count(*) filter (where churned_on <= $date_to) as churned
    from churn_base
)

select
    100.0 * csat_satisfied / nullif(csat_answers, 0)                             as csat,
    100.0 * (promoters - detractors) / nullif(nps_answers, 0)                    as nps,
    ces,
    answered_wait_s / nullif(answered, 0)                                        as asa,
    100.0 * answered_within_20s / nullif(answered + abandoned_after_20s, 0)      as service_level,
    100.0 * abandoned / nullif(offered, 0)                                       as abandon_rate,
    handle_s / nullif(answered, 0)                                               as aht,
    100.0 * first_contact_resolved / nullif(answered, 0)                         as fcr,
    -- an export without escalation levels has no rate, not a rate of zero
    case when depth_recorded > 0 then 100.0 * escalated / nullif(answered, 0) end as escalation_rate,
    100.0 * churned / nullif(active_at_start, 0)                                 as customer_churn
from contact_totals, survey_totals, churn_totals
