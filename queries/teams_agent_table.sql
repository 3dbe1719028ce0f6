-- title: Agents ranked by CSAT
-- description: "One row per agent who answered contacts in the scope: CSAT with its 95 % Wilson interval, volume, AHT, FCR and escalation rate on those contacts. Ranked by the Wilson lower bound of CSAT: an agent with 1 answer of 1 does not outrank one with 95 of 100. Contact measures follow every filter. An agent's own survey answers are never shown (agents answer on that promise); the teams table gives each team's."
-- page: teams
-- chart: data
-- column_needs: {satisfied: customer_surveys.csat, survey_answers: customer_surveys.csat, aht_s: interactions.handle_s, fcr_pct: [interactions.resolved, interactions.customer_id], escalation_pct: interactions.escalation_depth}
-- labels: {satisfied: "CSAT answers of 4-5", survey_answers: "Answers (n)", aht_s: "AHT (s)", fcr_pct: "FCR %", escalation_pct: "Escalation %"}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the monthly rollup (data/schema.sql: filtered_contact_months), equal to the contacts' sums
with answered_months as (
    select *
    from filtered_contact_months($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned and agent_id is not null
),

team_contacts as (
    select agent_id, team_name, sum(contacts) as contacts
    from answered_months
    group by agent_id, team_name
),

contacts_per_agent as (
    select
        c.agent_id,
        -- the team they took most contacts for (on a tie, the first team by name)
        (select t.team_name from team_contacts as t where t.agent_id = c.agent_id
         order by t.contacts desc, t.team_name limit 1)                    as team_name,
        sum(c.contacts)::bigint                                            as answered,
        -- each ratio counts the contacts whose input is known, as the overview's KPIs do
        sum(c.handled)::bigint                                             as handled,
        sum(c.handle_s)                                                    as handle_s,
        sum(c.resolution_known)::bigint                                    as resolution_known,
        sum(c.first_contact_resolved)::bigint                              as first_contact_resolved,
        coalesce(sum(c.contacts) filter (where c.escalation_depth is not null), 0) as depth_recorded,
        coalesce(sum(c.contacts) filter (where c.escalation_depth > 0), 0)         as escalated,
        sum(c.csat_answers)::bigint                                        as survey_answers,
        sum(c.csat_satisfied)::bigint                                      as satisfied
    from answered_months as c
    group by c.agent_id
)

select
    a.agent_name,
    c.team_name,
    c.satisfied,
    c.survey_answers,
    c.answered,
    c.handle_s / nullif(c.handled, 0)                                    as aht_s,
    100.0 * c.first_contact_resolved / nullif(c.resolution_known, 0)     as fcr_pct,
    100.0 * c.escalated / nullif(c.depth_recorded, 0)                    as escalation_pct
from contacts_per_agent as c
join agents as a using (agent_id)
order by a.agent_name
