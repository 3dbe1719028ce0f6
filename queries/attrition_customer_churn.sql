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

-- How many of the period's base customers had at least one contact of each set of experiences in the
-- period, and how many of those churned by its end. Sets, not single experiences: the customers who had
-- two experiences together are counted as those who had either (inclusion-exclusion, below), because a
-- union is what the rollup can count without folding each customer's contacts.
-- Without a site, team, channel or touchpoint filter, for a period of the last two years of contacts:
-- experience_churn_periods (data/schema.sql) holds the period's counts, one row, read as such. For an
-- older period: customer_experience_firsts (data/schema.sql) holds
-- every contact that is a customer's first of a set in some period, with the day since which it is;
-- such a contact is the first of a period from date_from exactly when that day is before date_from, so
-- summing those contacts counts each customer once, with no grouping by customer. The rollup leaves out
-- no contact of a team missing from teams (it is built from the contacts alone); the page's figures do,
-- so a store holding such contacts (an import warns of them) is read the other way. With a team filter
-- alone, customer_team_experience_firsts holds the same per team, summed the same way.
with read_from_rollup as (
    select $site is null and $team is null and $channel is null and $touchpoint is null
       and not exists (select 1 from contact_days as d anti join teams as t using (team_id)
                       where $site is null and $team is null and $channel is null and $touchpoint is null) as yes
),

-- the period's row of experience_churn_periods, when it holds the period (never with a scope filter)
period_row as (
    select *
    from experience_churn_periods
    where $site is null and $team is null and $channel is null and $touchpoint is null
      and (select yes from read_from_rollup)
      and period_from = $date_from and period_to = $date_to
),

-- one row when the period has no row there, none when it has: joined to the first contacts below, so that
-- DuckDB stops reading them when it does not need them (a join whose one side is empty stops early: at
-- 100M contacts a quarter's 3.9M rows become about 96,000 read)
period_missing as (
    select true as missing where not exists (select 1 from period_row)
),

period_sets as (
    select v.*
    from period_row as p,
    lateral (values
        (true, p.contact_churned, p.known_wait_churned, p.long_wait_churned, p.escalated_churned,
         p.low_csat_churned, p.known_wait_or_escalated_churned, p.known_wait_or_low_csat_churned,
         p.any_bad_churned, p.known_wait_or_any_bad_churned),
        (false, p.contact - p.contact_churned, p.known_wait - p.known_wait_churned,
         p.long_wait - p.long_wait_churned, p.escalated - p.escalated_churned, p.low_csat - p.low_csat_churned,
         p.known_wait_or_escalated - p.known_wait_or_escalated_churned,
         p.known_wait_or_low_csat - p.known_wait_or_low_csat_churned, p.any_bad - p.any_bad_churned,
         p.known_wait_or_any_bad - p.known_wait_or_any_bad_churned)
    ) as v(churned, contact, known_wait, long_wait, escalated, low_csat, known_wait_or_escalated,
           known_wait_or_low_csat, any_bad, known_wait_or_any_bad)
),

-- The first contacts of the period's days, of customers active at its start: without a scope filter (the
-- period has no row), customer_experience_firsts'; with a team filter alone (a site too, or not),
-- customer_team_experience_firsts' rows of the team (data/schema.sql), a customer's first contacts with the
-- team. Summed per set, each counts each customer once.
first_contacts as (
    select f.*
    from customer_experience_firsts as f
    join period_missing as m on m.missing
    -- the filters again, as such: a scope filter then leaves this out when the query is planned
    where $site is null and $team is null and $channel is null and $touchpoint is null
      and (select yes from read_from_rollup)
    union all
    select f.* exclude (team_id)
    from customer_team_experience_firsts as f
    join teams as t using (team_id)
    where $team is not null and $channel is null and $touchpoint is null
      and t.team_name = $team and ($site is null or t.site = $site)
),

first_sets as (
    select
        churned,
        sum(case when since_contact < $date_from then contacts end)                 as contact,
        sum(case when since_known_wait < $date_from then contacts end)              as known_wait,
        sum(case when since_long_wait < $date_from then contacts end)               as long_wait,
        sum(case when since_escalated < $date_from then contacts end)               as escalated,
        sum(case when since_low_csat < $date_from then contacts end)                as low_csat,
        sum(case when since_known_wait_or_escalated < $date_from then contacts end) as known_wait_or_escalated,
        sum(case when since_known_wait_or_low_csat < $date_from then contacts end)  as known_wait_or_low_csat,
        sum(case when since_any_bad < $date_from then contacts end)                 as any_bad,
        sum(case when since_known_wait_or_any_bad < $date_from then contacts end)   as known_wait_or_any_bad
    from (
        select *, coalesce(churned_on <= $date_to, false) as churned
        from first_contacts
        where day >= $date_from and day <= $date_to
          and (churned_on is null or churned_on >= $date_from)
    )
    group by churned
),

-- Otherwise (a channel or touchpoint filter, or a site alone): each customer's contacts of the scope in the
-- period folded into the bits of experience_bits (data/schema.sql), then the same sets counted from the
-- folded bits. With a scope filter the filters leave out the unscoped branches below when the query is
-- planned; without one, the contacts are read
-- only when the rollup cannot answer, through scoped_teams, empty when it can: a join whose one side is
-- empty stops DuckDB reading the other (a filter on read_from_rollup alone would not: its value is not
-- known when the query is planned).
scoped_teams as (
    select team_id from teams where not (select yes from read_from_rollup)
),

period_contacts as (
    select *
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not ($site is null and $team is null and $channel is null and $touchpoint is null)
      and not ($team is not null and $channel is null and $touchpoint is null)
    union all
    select *
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    semi join scoped_teams using (team_id)
    where $site is null and $team is null and $channel is null and $touchpoint is null
),

-- Only the answers within the span of the period's contact ids are read (ids follow time in most stores,
-- so a quarter reads a quarter's answers; the span holds every filtered contact's id, so the result is
-- the same).
period_ids as (
    select min(interaction_id) as first_id, max(interaction_id) as last_id
    from period_contacts
    -- no row without contacts (not one of nulls), so the answers below are not read at all
    having count(*) > 0
),

low_csat_contacts as (
    select s.interaction_id
    from customer_surveys as s, period_ids as p
    where s.csat <= 2 and s.interaction_id between p.first_id and p.last_id
),

scoped_bits as (
    select
        customer_id,
        bit_or(experience_bits(abandoned, wait_s, escalation_depth,
                               interaction_id in (select interaction_id from low_csat_contacts))) as bits
    from period_contacts
    where customer_id is not null
    group by customer_id
),

-- the customers by their folded bits and whether they churned: a few dozen rows. Only customers active at
-- the period's start count, a condition counted rather than filtered: a filter on customers would make
-- DuckDB guess them fewer than the folded customers and hash every active customer (19M of them at 100M
-- contacts, 1.7 GB, with a channel filter over a quarter) instead of the few the scope served.
scoped_kinds as (
    select
        e.bits,
        coalesce(c.churned_on <= $date_to, false) as churned,
        count(*) filter (where c.joined_on < $date_from and (c.churned_on is null or c.churned_on >= $date_from))
            as customers
    from customers as c
    join scoped_bits as e using (customer_id)
    group by all
),

scoped_sets as (
    select
        churned,
        sum(customers)                               as contact,
        sum(customers) filter (where bits & 2 <> 0)  as known_wait,
        sum(customers) filter (where bits & 1 <> 0)  as long_wait,
        sum(customers) filter (where bits & 4 <> 0)  as escalated,
        sum(customers) filter (where bits & 8 <> 0)  as low_csat,
        sum(customers) filter (where bits & 6 <> 0)  as known_wait_or_escalated,
        sum(customers) filter (where bits & 10 <> 0) as known_wait_or_low_csat,
        sum(customers) filter (where bits & 13 <> 0) as any_bad,
        sum(customers) filter (where bits & 14 <> 0) as known_wait_or_any_bad
    from scoped_kinds
    group by churned
),

-- two of the three are empty (their filters are false): summed, the other's counts, of all and of the churned
sets as (
    select
        coalesce(sum(contact), 0)::bigint                 as contact,
        coalesce(sum(known_wait), 0)::bigint              as known_wait,
        coalesce(sum(long_wait), 0)::bigint               as long_wait,
        coalesce(sum(escalated), 0)::bigint               as escalated,
        coalesce(sum(low_csat), 0)::bigint                as low_csat,
        coalesce(sum(known_wait_or_escalated), 0)::bigint as known_wait_or_escalated,
        coalesce(sum(known_wait_or_low_csat), 0)::bigint  as known_wait_or_low_csat,
        coalesce(sum(any_bad), 0)::bigint                 as any_bad,
        coalesce(sum(known_wait_or_any_bad), 0)::bigint   as known_wait_or_any_bad,
        coalesce(sum(contact) filter (where churned), 0)::bigint                 as contact_churned,
        coalesce(sum(known_wait) filter (where churned), 0)::bigint              as known_wait_churned,
        coalesce(sum(long_wait) filter (where churned), 0)::bigint               as long_wait_churned,
        coalesce(sum(escalated) filter (where churned), 0)::bigint               as escalated_churned,
        coalesce(sum(low_csat) filter (where churned), 0)::bigint                as low_csat_churned,
        coalesce(sum(known_wait_or_escalated) filter (where churned), 0)::bigint as known_wait_or_escalated_churned,
        coalesce(sum(known_wait_or_low_csat) filter (where churned), 0)::bigint  as known_wait_or_low_csat_churned,
        coalesce(sum(any_bad) filter (where churned), 0)::bigint                 as any_bad_churned,
        coalesce(sum(known_wait_or_any_bad) filter (where churned), 0)::bigint   as known_wait_or_any_bad_churned
    from (select * from period_sets union all select * from first_sets union all select * from scoped_sets)
),

-- Each experience splits the same customers in two: those with a known wait (a recorded wait or an
-- abandon on some contact of theirs in the period); every customer when the store has no waits, which
-- shows no wait experience at all (row_needs), so nobody is left out for it. A long wait is itself a
-- known one, so the customers with both are those with a long wait; for the others, |known and X| =
-- |known| + |X| - |known or X|.
split as (
    select
        w.waits,
        case when w.waits then s.known_wait else s.contact end                                    as base,
        case when w.waits then s.known_wait_churned else s.contact_churned end                    as base_churned,
        s.long_wait,
        s.long_wait_churned,
        case when w.waits then s.known_wait + s.escalated - s.known_wait_or_escalated
             else s.escalated end                                                                 as escalated,
        case when w.waits then s.known_wait_churned + s.escalated_churned - s.known_wait_or_escalated_churned
             else s.escalated_churned end                                                         as escalated_churned,
        case when w.waits then s.known_wait + s.low_csat - s.known_wait_or_low_csat
             else s.low_csat end                                                                  as low_csat,
        case when w.waits then s.known_wait_churned + s.low_csat_churned - s.known_wait_or_low_csat_churned
             else s.low_csat_churned end                                                          as low_csat_churned,
        case when w.waits then s.known_wait + s.any_bad - s.known_wait_or_any_bad
             else s.any_bad end                                                                   as any_bad,
        case when w.waits then s.known_wait_churned + s.any_bad_churned - s.known_wait_or_any_bad_churned
             else s.any_bad_churned end                                                           as any_bad_churned,
        s.contact - s.known_wait                                                                  as unknown,
        s.contact_churned - s.known_wait_churned                                                  as unknown_churned
    from sets as s, (select supplied('interactions', 'wait_s') as waits) as w
),

grouped as (
    select g.*
    from split as s,
    lateral (values
        (1, 'Long wait (> 5 min) or abandoned', true, s.long_wait, s.long_wait_churned),
        (1, 'Long wait (> 5 min) or abandoned', false, s.base - s.long_wait, s.base_churned - s.long_wait_churned),
        (2, 'Escalated to a manager or above', true, s.escalated, s.escalated_churned),
        (2, 'Escalated to a manager or above', false, s.base - s.escalated, s.base_churned - s.escalated_churned),
        (3, 'Low CSAT answer (1-2)', true, s.low_csat, s.low_csat_churned),
        (3, 'Low CSAT answer (1-2)', false, s.base - s.low_csat, s.base_churned - s.low_csat_churned),
        (4, 'Any of the three', true, s.any_bad, s.any_bad_churned),
        (4, 'Any of the three', false, s.base - s.any_bad, s.base_churned - s.any_bad_churned),
        -- the customers whose wait is unknown belong to no experience: the chart leaves them out and counts them
        (5, null, null, case when s.waits then s.unknown else 0 end, s.unknown_churned)
    ) as g(experience_order, experience, had_it, customers, churned)
    -- a kind nobody had is no row, as an empty group is none
    where g.customers > 0
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
