-- title: Customer churn by what customers went through
-- description: Of the customers active at the period's start who contacted the filtered scope in the period, the share who churned by its end, for those who had each experience in the period against those who did not; whiskers are Wilson 95 % intervals, n on hover. A long wait is more than 5 minutes or an abandoned contact; an escalation reached a manager or above (depth 2 or more); a low CSAT is a survey answer of 1 or 2 (customers who gave no answer count as "did not"). An experience whose input the store lacks is not shown, and a customer none of whose answered contacts has a recorded wait is left out of every experience, so each experience splits the same customers. Association, not proof of cause.
-- page: attrition
-- chart: bar
-- order: 40
-- x: experience
-- y: churn_pct
-- color: went_through
-- error_low: churn_low_pct
-- error_high: churn_high_pct
-- hover: [customers, churned]
-- needs: [customers.churned_on, interactions.customer_id]
-- row_needs: {"Long wait (> 5 min) or abandoned": interactions.wait_s, "Escalated to a manager or above": interactions.escalation_depth, "Low CSAT answer (1-2)": customer_surveys.csat, "Any of the three": [interactions.wait_s, interactions.escalation_depth, customer_surveys.csat]}
-- n: customers
-- unknown: no recorded wait on any of their answered contacts
-- y_title: "Churned in the period %"
-- labels: {experience: "Experience in the period", churn_pct: "Churn %", went_through: "Customers who", customers: "Customers (n)", churned: "Churned"}
-- params: [date_from, date_to, site, team, channel, touchpoint]

with scoped as (
    select interaction_id, customer_id, abandoned, wait_s, escalation_depth
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where customer_id is not null
),

-- the contacts with a low CSAT answer: only the answers within the span of the period's contact ids are
-- read (ids follow time in most stores, so a quarter reads a quarter's answers; the result is the same)
low_csat_contacts as (
    select distinct interaction_id
    from customer_surveys
    where csat <= 2
      and interaction_id between (select min(interaction_id) from scoped) and (select max(interaction_id) from scoped)
),

experiences as (
    select
        customer_id,
        -- null when no contact of the customer has a recorded wait (and none was abandoned): unknown
        bool_or(abandoned or wait_s > 300)                   as long_wait,
        bool_or(coalesce(escalation_depth, 0) >= 2)          as escalated,
        bool_or(interaction_id in (select interaction_id from low_csat_contacts)) as low_csat
    from scoped
    group by customer_id
),

active_at_start as (
    select customer_id, churned_on
    from customers
    where joined_on < $date_from and (churned_on is null or churned_on >= $date_from)
),

in_scope as (
    select
        a.customer_id,
        coalesce(a.churned_on <= $date_to, false) as churned,
        e.long_wait,
        e.escalated,
        e.low_csat
    from active_at_start as a
    join experiences as e using (customer_id)
),

-- a store without waits shows no wait experience at all (row_needs), so nobody is left out for it
customer_experiences as (
    select
        customer_id,
        churned,
        coalesce(long_wait, false)                as long_wait,
        escalated,
        low_csat,
        coalesce(long_wait, false) or escalated or low_csat as any_bad
    from in_scope
    where long_wait is not null or not supplied('interactions', 'wait_s')
),

-- one row per customer and experience, so each experience splits the same customers in two
long_form as (
    select 1 as experience_order, 'Long wait (> 5 min) or abandoned' as experience, long_wait as had_it, churned
    from customer_experiences
    union all
    select 2, 'Escalated to a manager or above', escalated, churned from customer_experiences
    union all
    select 3, 'Low CSAT answer (1-2)', low_csat, churned from customer_experiences
    union all
    select 4, 'Any of the three', any_bad, churned from customer_experiences
),

grouped as (
    select experience_order, experience, had_it, count(*) as customers, count(*) filter (where churned) as churned
    from long_form
    group by experience_order, experience, had_it
    union all
    -- the customers whose wait is unknown belong to no experience: the chart leaves them out and counts them
    select 5, null, null, count(*), count(*) filter (where churned)
    from in_scope
    where long_wait is null and supplied('interactions', 'wait_s')
    having count(*) > 0
)

select
    experience,
    case when had_it then 'Went through it' when not had_it then 'Did not' end as went_through,
    customers,
    churned,
    100.0 * churned / customers                                   as churn_pct,
    100.0 * wilson_lower(churned, customers)                      as churn_low_pct,
    100.0 * wilson_upper(churned, customers)                      as churn_high_pct
from grouped
order by experience_order, had_it desc
