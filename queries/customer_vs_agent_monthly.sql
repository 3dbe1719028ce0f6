-- title: Both sides, month by month
-- description: "CSAT (customer answers of 4-5, contacts queued that month, every filter) beside agent satisfaction (agent survey answers of 4-5 that month, site and team filters only). Agents are surveyed quarterly (March, June, September, December) and at tenure milestones, so the other months rest on few agent answers: hover for n. A month with fewer agent respondents than the confidentiality threshold shows no agent figure. Association, not proof of cause."
-- page: customer-vs-agent
-- chart: line
-- order: 10
-- x: month
-- y: [csat, agent_satisfaction]
-- target: {csat: csat, agent_satisfaction: agent_satisfaction}
-- y_title: "% answering 4-5"
-- labels: {month: "Month", csat: "CSAT %", agent_satisfaction: "Agent satisfaction %", customer_answers: "Customer answers", agent_answers: "Agent answers"}
-- hover: [customer_answers, agent_answers]
-- annotate_events: true
-- column_needs: {csat: contact_intervals.csat_answers, customer_answers: contact_intervals.csat_answers, agent_satisfaction: agent_surveys.satisfaction, agent_answers: agent_surveys.satisfaction}
-- respondents: {agent_satisfaction: agent_respondents}
-- params: [date_from, date_to, site, team, channel, touchpoint]
with months as (
    -- every month of the period, so a month without agent answers shows as a gap, not a jump
    select m::date as month
    from generate_series(date_trunc('month', $date_from::date), date_trunc('month', $date_to::date), interval 1 month) as g(m)
),

customer_months as (
    -- summed from the day rollup of the interval table (data/schema.sql): a day never straddles two months
    select
        date_trunc('month', day)::date  as month,
        sum(csat_answers)::bigint                   as customer_answers,
        sum(csat_satisfied)::bigint                 as customer_satisfied
    from filtered_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by all
    having sum(csat_answers) > 0
),

agent_months as (
    select
        date_trunc('month', s.surveyed_at)::date     as month,
        count(s.satisfaction)                        as agent_answers,
        count(*) filter (where s.satisfaction >= 4)  as agent_satisfied,
        count(distinct s.agent_id) filter (where s.satisfaction is not null) as agent_respondents
    from agent_surveys as s
    join filtered_agents($site, $team) using (agent_id)
    where s.surveyed_at between $date_from and $date_to
    group by all
)

select
    m.month,
    100.0 * c.customer_satisfied / nullif(c.customer_answers, 0)  as csat,
    100.0 * a.agent_satisfied / nullif(a.agent_answers, 0)        as agent_satisfaction,
    coalesce(c.customer_answers, 0)                               as customer_answers,
    coalesce(a.agent_answers, 0)                                  as agent_answers,
    coalesce(a.agent_respondents, 0)                              as agent_respondents
from months as m
left join customer_months as c using (month)
left join agent_months as a using (month)
order by m.month
