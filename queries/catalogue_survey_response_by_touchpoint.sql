-- title: Survey response rate by touchpoint
-- description: Share of answered contacts whose customer answered the survey, by touchpoint; hover for the counts. A low rate makes that touchpoint's CSAT rest on few answers. Every filter applies.
-- chart: bar
-- tags: [surveys]
-- x: touchpoint_name
-- y: response_rate
-- hover: [answered, survey_answers]
-- labels: {touchpoint_name: "Touchpoint", response_rate: "Response rate %", answered: "Answered contacts", survey_answers: "Survey answers"}
-- needs: [interactions, customer_surveys]
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the monthly rollup (data/schema.sql: filtered_contact_months), equal to the contacts' sums
with answered as (
    select touchpoint_name, contacts, surveyed, survey_answers
    from filtered_contact_months($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
),

by_touchpoint as (
    -- a contact with several answers counts once per answer, as a join of contacts to answers counts it
    select
        touchpoint_name,
        sum(contacts - surveyed + survey_answers)::bigint   as answered,
        sum(survey_answers)::bigint                         as survey_answers
    from answered
    group by touchpoint_name
)

select
    touchpoint_name,
    answered,
    survey_answers,
    100.0 * survey_answers / answered                   as response_rate
from by_touchpoint
order by response_rate desc
