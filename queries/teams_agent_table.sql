-- title: Agents ranked by CSAT
-- description: "One row per agent who answered contacts in the scope: CSAT with its 95 % Wilson interval, volume, AHT, FCR and escalation rate on those contacts. Ranked by the Wilson lower bound of CSAT: an agent with 1 answer of 1 does not outrank one with 95 of 100. Contact measures follow every filter. An agent's own survey answers are never shown (agents answer on that promise); the teams table gives each team's."
-- page: teams
-- chart: data
-- column_needs: {satisfied: customer_surveys.csat, survey_answers: customer_surveys.csat, aht_s: interactions.handle_s, fcr_pct: [interactions.resolved, interactions.customer_id], escalation_pct: interactions.escalation_depth}
-- labels: {satisfied: "CSAT answers of 4-5", survey_answers: "Answers (n)", aht_s: "AHT (s)", fcr_pct: "FCR %", escalation_pct: "Escalation %"}
-- params: [date_from, date_to, site, team, channel, touchpoint]
with answered_contacts as (
    select *
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned and agent_id is not null
),

contacts_per_agent as (
    select
        c.agent_id,
        mode(c.team_name)                                                  as team_name,  -- the team they took most contacts for
        count(*)                                                           as answered,
        -- each ratio counts the contacts whose input is known, as the overview's KPIs do
        count(c.handle_s)                                                  as handled,
        sum(c.handle_s)                                                    as handle_s,
        count(c.resolved)                                                  as resolution_known,
        count(*) filter (where c.resolved and not c.repeat_within_7d)      as first_contact_resolved,
        count(c.escalation_depth)                                          as depth_recorded,
        count(*) filter (where c.escalation_depth > 0)                     as escalated,
        count(s.csat)                                                      as survey_answers,
        count(*) filter (where s.csat >= 4)                                as satisfied
    from answered_contacts as c
    left join customer_surveys as s using (interaction_id)
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
