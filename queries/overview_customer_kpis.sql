-- title: Customer side
-- description: What customers went through in the period.
-- page: overview
-- chart: kpi
-- order: 10
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- Each KPI column comes with <kpi>_n, the count it rests on. A KPI whose input no import supplied is
-- NULL (no data), never a zero computed from nothing: supplied() reads the store's coverage, and
-- dashboard/kpis.py names the same inputs to say why. Ratios only count contacts whose input is known.
-- Contact and survey counts are summed from contact_days, the day rollup of the interval table
-- (data/schema.sql): the same numerators and denominators as the contacts, summed at publish.
with scoped as (
    select * from filtered_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

contact_totals as (
    select
        coalesce(sum(offered), 0)::bigint                  as offered,
        coalesce(sum(abandoned), 0)::bigint                as abandoned,
        coalesce(sum(answered_with_wait), 0)::bigint       as answered_with_wait,
        coalesce(sum(answered_wait_s), 0)::bigint          as answered_wait_s,
        coalesce(sum(answered_within_20s), 0)::bigint      as answered_within_20s,
        coalesce(sum(abandoned_after_20s), 0)::bigint      as abandoned_after_20s,
        coalesce(sum(handled), 0)::bigint                  as handled,
        coalesce(sum(handle_s), 0)::bigint                 as handle_s,
        coalesce(sum(resolution_known), 0)::bigint         as resolution_known,
        coalesce(sum(first_contact_resolved), 0)::bigint   as first_contact_resolved,
        coalesce(sum(depth_recorded), 0)::bigint           as depth_recorded,
        coalesce(sum(escalated), 0)::bigint                as escalated
    from scoped
),

survey_totals as (
    select
        coalesce(sum(csat_answers), 0)::bigint             as csat_answers,
        coalesce(sum(csat_satisfied), 0)::bigint           as csat_satisfied,
        coalesce(sum(nps_answers), 0)::bigint              as nps_answers,
        coalesce(sum(promoters), 0)::bigint                as promoters,
        coalesce(sum(detractors), 0)::bigint               as detractors,
        coalesce(sum(ces_answers), 0)::bigint              as ces_answers,
        sum(ces_sum) / nullif(sum(ces_answers), 0) as ces
    from scoped
),

-- customers active at the start of the period and, of them, those churned by its end; with a scope filter,
-- those the scope served by its end (data/schema.sql: customer_churn_counts sums the customers per joining
-- and churn day, or with a scope filter reads the customers' first contacts per scope, built at publish)
churn_totals as (
    select active_at_start, churned
    from customer_churn_counts($date_from, $date_to, $site, $team, $channel, $touchpoint)
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
    case when supplied('contact_intervals', 'answered_wait_s')
         then answered_wait_s / nullif(answered_with_wait, 0) end                as asa,
    answered_with_wait                                                            as asa_n,
    -- an interval report may give answers within 20 s without waits, or waits without them
    case when supplied('contact_intervals', 'answered_within_20s')
              and supplied('contact_intervals', 'abandoned_after_20s')
         then 100.0 * answered_within_20s / nullif(judged, 0) end                as service_level,
    judged                                                                        as service_level_n,
    -- a ticket export's "never abandoned" is the mapping's assumption, not a measured 0 %
    case when supplied('contact_intervals', 'abandoned')
         then 100.0 * abandoned / nullif(offered, 0) end                         as abandon_rate,
    offered                                                                       as abandon_rate_n,
    case when supplied('contact_intervals', 'handle_s')
         then handle_s / nullif(handled, 0) end                                  as aht,
    handled                                                                       as aht_n,
    -- FCR needs both: whether the contact was resolved, and customer ids to see a repeat within 7 days
    case when supplied('contact_intervals', 'first_contact_resolved')
         then 100.0 * first_contact_resolved / nullif(resolution_known, 0) end   as fcr,
    resolution_known                                                              as fcr_n,
    case when supplied('contact_intervals', 'escalated')
         then 100.0 * escalated / nullif(depth_recorded, 0) end                  as escalation_rate,
    depth_recorded                                                                as escalation_rate_n,
    case when supplied('customers', 'churned_on')
         then 100.0 * churned / nullif(active_at_start, 0) end                   as customer_churn,
    active_at_start                                                               as customer_churn_n
from contact_totals, survey_totals, churn_totals, service_level_base
