-- title: Customer and agent, side by side
-- description: "The counts behind the mirrored table that the overview's KPI queries do not already give: survey response on both sides, and how long agents wait for a manager's answer. The customer side honours every filter; the agent side only site and team, since agents belong to a team, not to a channel or touchpoint."
-- page: customer-vs-agent
-- chart: data
-- respondents: counts only
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the team-grain monthly rollup (data/schema.sql: filtered_team_months), equal to the contacts' sums
with customer_response as (
    -- a contact counts once however many survey rows it has
    select
        coalesce(sum(contacts), 0)::bigint                       as answered_contacts,
        coalesce(sum(surveyed), 0)::bigint                       as surveyed_contacts
    from filtered_team_months($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
),

scoped_agents as (
    select * from filtered_agents($site, $team)
),

agent_requests_in_period as (
    -- requests opened in the period; one still open when the data was extracted has no answered_at
    select
        count(*)                                                                   as requests_opened,
        count(*) filter (where r.answered_at is null)                              as requests_unanswered,
        avg(epoch(r.answered_at - r.opened_at) / 3600.0) filter (where r.answered_at is not null)
                                                                                   as request_answer_hours
    from agent_requests as r
    join scoped_agents using (agent_id)
    where r.opened_at >= $date_from and r.opened_at < $date_to + interval 1 day
),

agent_response as (
    select
        (select count(s.satisfaction)
         from agent_surveys as s
         join scoped_agents using (agent_id)
         where s.surveyed_at between $date_from and $date_to)    as agent_survey_answers,
        -- employed on some day of the period (same convention as the overview's headcount)
        (select count(*)
         from scoped_agents
         where hired_on <= $date_to and (left_on is null or left_on > $date_from)) as agents_employed
)

select *
from customer_response, agent_requests_in_period, agent_response
