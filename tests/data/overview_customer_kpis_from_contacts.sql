-- The overview's customer KPIs as they were computed before the interval table (commit ee0a1c8):
-- straight from the contacts. tests/test_intervals.py checks the interval-grain query equals it, and
-- tests/test_rollup_months.py that the rewritten churn gives the same figures.
-- Each KPI column comes with <kpi>_n, the count it rests on. A KPI whose input no import supplied is
-- NULL (no data), never a zero computed from nothing: supplied() reads the store's coverage, and
-- dashboard/kpis.py names the same inputs to say why. Ratios only count contacts whose input is known.
with scoped as (
    select * from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

contact_totals as (
    select
        count(*)                                                         as offered,
        count(*) filter (where abandoned)                                as abandoned,
        count(wait_s) filter (where not abandoned)                       as answered_with_wait,
        sum(wait_s) filter (where not abandoned)                         as answered_wait_s,
        count(*) filter (where not abandoned and wait_s <= 20)           as answered_within_20s,
        count(*) filter (where abandoned and wait_s > 20)                as abandoned_after_20s,
        count(handle_s) filter (where not abandoned)                     as handled,
        sum(handle_s) filter (where not abandoned)                       as handle_s,
        count(resolved) filter (where not abandoned)                     as resolution_known,
        count(*) filter (where not abandoned and resolved and not repeat_within_7d) as first_contact_resolved,
        count(escalation_depth) filter (where not abandoned)             as depth_recorded,
        count(*) filter (where not abandoned and escalation_depth > 0)   as escalated
    from scoped
),

survey_totals as (
    select
        count(s.csat)                              as csat_answers,
        count(*) filter (where s.csat >= 4)        as csat_satisfied,
        count(s.nps)                               as nps_answers,
        count(*) filter (where s.nps >= 9)         as promoters,
        count(*) filter (where s.nps <= 6)         as detractors,
        count(s.ces)                               as ces_answers,
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
),

-- service level counts answered contacts with a known wait and abandoned ones known to be after 20 s
service_level_base as (
    select answered_with_wait + abandoned_after_20s as judged from contact_totals
)

select
    100.0 * csat_satisfied / nullif(csat_answers, 0)                             as csat,
    csat_answers                                                                  as csat_n,
    100.0 * (promoters - detractors) / nullif(nps_answers, 0)                    as nps,
    nps_answers                                                                   as nps_n,
    ces,
    ces_answers                                                                   as ces_n,
    case when supplied('interactions', 'wait_s')
         then answered_wait_s / nullif(answered_with_wait, 0) end                as asa,
    answered_with_wait                                                            as asa_n,
    case when supplied('interactions', 'wait_s')
         then 100.0 * answered_within_20s / nullif(judged, 0) end                as service_level,
    judged                                                                        as service_level_n,
    -- a ticket export's "never abandoned" is the mapping's assumption, not a measured 0 %
    case when supplied('interactions', 'abandoned')
         then 100.0 * abandoned / nullif(offered, 0) end                         as abandon_rate,
    offered                                                                       as abandon_rate_n,
    case when supplied('interactions', 'handle_s')
         then handle_s / nullif(handled, 0) end                                  as aht,
    handled                                                                       as aht_n,
    -- FCR needs both: whether the contact was resolved, and customer ids to see a repeat within 7 days
    case when supplied('interactions', 'resolved') and supplied('interactions', 'customer_id')
         then 100.0 * first_contact_resolved / nullif(resolution_known, 0) end   as fcr,
    resolution_known                                                              as fcr_n,
    case when supplied('interactions', 'escalation_depth')
         then 100.0 * escalated / nullif(depth_recorded, 0) end                  as escalation_rate,
    depth_recorded                                                                as escalation_rate_n,
    case when supplied('customers', 'churned_on')
         then 100.0 * churned / nullif(active_at_start, 0) end                   as customer_churn,
    active_at_start                                                               as customer_churn_n
from contact_totals, survey_totals, churn_totals, service_level_base
