-- title: Teams ranked by CSAT
-- description: "One row per team with contacts in the scope: CSAT (answers of 4-5 / all answers) with its 95 % Wilson interval, volume (answered contacts), AHT (handle time / answered contacts with a handle time), FCR (resolved with no repeat within 7 days / answered contacts whose resolution is recorded), escalation rate (depth above 0 / answered contacts whose level is recorded), and the team's agent satisfaction (agent-survey answers of 4-5 / all answers, in the period, by the agents' current team). Ranked by the Wilson lower bound of CSAT. Contact measures follow every filter; agent satisfaction follows site, team and period."
-- page: teams
-- chart: data
-- column_needs: {satisfied: contact_intervals.csat_answers, survey_answers: contact_intervals.csat_answers, aht_s: contact_intervals.handle_s, fcr_pct: contact_intervals.first_contact_resolved, escalation_pct: contact_intervals.escalated, agent_satisfaction_pct: agent_surveys.satisfaction, agent_survey_answers: agent_surveys.satisfaction}
-- labels: {satisfied: "CSAT answers of 4-5", survey_answers: "Answers (n)", aht_s: "AHT (s)", fcr_pct: "FCR %", escalation_pct: "Escalation %", agent_satisfaction_pct: "Agent satisfaction %", agent_survey_answers: "Agent answers (n)"}
-- respondents: {agent_satisfaction_pct: agent_respondents}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- contact measures summed from the day rollup of the interval table (data/schema.sql)
with contacts_per_team as (
    select
        team_name,
        any_value(site)                          as site,
        sum(answered)::bigint                    as answered,
        -- each ratio counts the contacts whose input is known, as the overview's KPIs do
        sum(handled)::bigint                     as handled,
        sum(handle_s)::bigint                    as handle_s,
        sum(resolution_known)::bigint            as resolution_known,
        sum(first_contact_resolved)::bigint      as first_contact_resolved,
        sum(depth_recorded)::bigint              as depth_recorded,
        sum(escalated)::bigint                   as escalated,
        sum(csat_answers)::bigint                as survey_answers,
        sum(csat_satisfied)::bigint              as satisfied
    from filtered_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by team_name
),

agent_voice_per_team as (
    select
        a.team_name,
        count(s.satisfaction)                        as agent_survey_answers,
        count(*) filter (where s.satisfaction >= 4)  as agents_satisfied,
        count(distinct s.agent_id) filter (where s.satisfaction is not null) as agent_respondents
    from agent_surveys as s
    join filtered_agents($site, $team) as a using (agent_id)
    where s.surveyed_at between $date_from and $date_to
    group by a.team_name
)

select
    c.team_name,
    c.site,
    t.manager_name,
    c.satisfied,
    c.survey_answers,
    c.answered,
    c.handle_s / nullif(c.handled, 0)                                    as aht_s,
    100.0 * c.first_contact_resolved / nullif(c.resolution_known, 0)     as fcr_pct,
    100.0 * c.escalated / nullif(c.depth_recorded, 0)                    as escalation_pct,
    100.0 * v.agents_satisfied / nullif(v.agent_survey_answers, 0)       as agent_satisfaction_pct,
    coalesce(v.agent_survey_answers, 0)                                  as agent_survey_answers,
    coalesce(v.agent_respondents, 0)                                     as agent_respondents
from contacts_per_team as c
join teams as t using (team_name)
left join agent_voice_per_team as v using (team_name)
order by c.team_name
