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

-- only the answers within the span of the period's contact ids are read (ids follow time in most
-- stores, so a quarter reads a quarter's answers; the span holds every filtered contact's id, so the
-- result is the same)
with period_ids as (
    select min(interaction_id) as first_id, max(interaction_id) as last_id
    from interactions
    where queued_at >= $date_from and queued_at < $date_to + interval 1 day
),

low_csat_contacts as (
    select s.interaction_id
    from customer_surveys as s, period_ids as p
    where s.csat <= 2 and s.interaction_id between p.first_id and p.last_id
),

-- Each contact's experiences as bits of one small integer, so that a customer's contacts fold with one
-- bit_or into one row, and customers then count by kind (a few dozen rows) instead of once per experience:
-- 1 a long wait or an abandon, 2 the wait is known (recorded, or abandoned), 4 escalated to a manager or
-- above, 8 a low CSAT answer.
flagged as (
    select
        customer_id,
          case when abandoned or wait_s > 300 then 1 else 0 end
        | case when abandoned or wait_s is not null then 2 else 0 end
        | case when coalesce(escalation_depth, 0) >= 2 then 4 else 0 end
        | case when interaction_id in (select interaction_id from low_csat_contacts) then 8 else 0 end as flags
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where customer_id is not null
),

experiences as (
    select customer_id, bit_or(flags) as flags
    from flagged
    group by customer_id
),

-- the customers active at the period's start who contacted the scope in it, counted by their experiences
-- and whether they churned; long_wait is null when no contact of theirs has a known wait: unknown
kinds as (
    select
        case when e.flags & 2 = 2 then e.flags & 1 = 1 end     as long_wait,
        e.flags & 4 = 4                                         as escalated,
        e.flags & 8 = 8                                         as low_csat,
        coalesce(c.churned_on <= $date_to, false)               as churned,
        count(*)                                                as customers
    from customers as c
    join experiences as e using (customer_id)
    where c.joined_on < $date_from and (c.churned_on is null or c.churned_on >= $date_from)
    group by all
),

-- a store without waits shows no wait experience at all (row_needs), so nobody is left out for it
customer_experiences as (
    select
        customers,
        churned,
        coalesce(long_wait, false)                as long_wait,
        escalated,
        low_csat,
        coalesce(long_wait, false) or escalated or low_csat as any_bad
    from kinds
    where long_wait is not null or not supplied('interactions', 'wait_s')
),

-- one row per kind and experience, so each experience splits the same customers in two
long_form as (
    select 1 as experience_order, 'Long wait (> 5 min) or abandoned' as experience, long_wait as had_it,
           churned, customers
    from customer_experiences
    union all
    select 2, 'Escalated to a manager or above', escalated, churned, customers from customer_experiences
    union all
    select 3, 'Low CSAT answer (1-2)', low_csat, churned, customers from customer_experiences
    union all
    select 4, 'Any of the three', any_bad, churned, customers from customer_experiences
),

grouped as (
    select experience_order, experience, had_it,
           sum(customers)::bigint                                   as customers,
           coalesce(sum(customers) filter (where churned), 0)::bigint as churned
    from long_form
    group by experience_order, experience, had_it
    union all
    -- the customers whose wait is unknown belong to no experience: the chart leaves them out and counts them
    select 5, null, null, sum(customers)::bigint, coalesce(sum(customers) filter (where churned), 0)::bigint
    from kinds
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
