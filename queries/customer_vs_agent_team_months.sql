-- title: Customer and agent satisfaction per team-month
-- description: "The counts behind the relationship chart, one row per team and calendar month of the period. Customer answers count contacts of the team queued that month (every filter applies); agent answers count surveys the team's agents took that month (site and team only, since agents belong to a team, not to a channel or touchpoint). Rates are computed from these counts, never by averaging averages."
-- page: customer-vs-agent
-- chart: data
-- needs: [agent_surveys.satisfaction]
-- column_needs: {customer_answers: customer_surveys.csat, customer_satisfied: customer_surveys.csat, nps_answers: customer_surveys.nps, nps_promoters: customer_surveys.nps, nps_detractors: customer_surveys.nps}
-- labels: {customer_answers: "CSAT answers", customer_satisfied: "CSAT answers of 4-5", nps_answers: "NPS answers", nps_promoters: "NPS promoters", nps_detractors: "NPS detractors"}
-- respondents: {agent_satisfied: agent_respondents}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the team-grain monthly rollup (data/schema.sql: filtered_team_months), equal to the contacts' sums
with customer_answers as (
    -- a survey belongs to the month its contact was queued, so it sits with the team that served it
    select
        c.team_name,
        c.month,
        sum(c.csat_answers)::bigint                  as customer_answers,
        sum(c.csat_satisfied)::bigint                as customer_satisfied,
        sum(c.nps_answers)::bigint                   as nps_answers,
        sum(c.promoters)::bigint                     as nps_promoters,
        sum(c.detractors)::bigint                    as nps_detractors
    from filtered_team_months($date_from, $date_to, $site, $team, $channel, $touchpoint) as c
    group by all
    having sum(c.survey_answers) > 0   -- a team-month with survey answers, as the join to them gave
),

agent_answers as (
    -- agents by their current team; channel and touchpoint do not describe agents
    select
        a.team_name,
        date_trunc('month', s.surveyed_at)::date     as month,
        count(s.satisfaction)                        as agent_answers,
        count(*) filter (where s.satisfaction >= 4)  as agent_satisfied,
        count(distinct s.agent_id) filter (where s.satisfaction is not null) as agent_respondents
    from agent_surveys as s
    join filtered_agents($site, $team) as a using (agent_id)
    where s.surveyed_at between $date_from and $date_to
    group by all
)

-- a full join keeps months one side lacks: a lagged pairing may still need them
select
    team_name,
    month,
    coalesce(c.customer_answers, 0)    as customer_answers,
    coalesce(c.customer_satisfied, 0)  as customer_satisfied,
    coalesce(c.nps_answers, 0)         as nps_answers,
    coalesce(c.nps_promoters, 0)       as nps_promoters,
    coalesce(c.nps_detractors, 0)      as nps_detractors,
    coalesce(a.agent_answers, 0)       as agent_answers,
    coalesce(a.agent_satisfied, 0)     as agent_satisfied,
    coalesce(a.agent_respondents, 0)   as agent_respondents
from customer_answers as c
full join agent_answers as a using (team_name, month)
order by team_name, month
