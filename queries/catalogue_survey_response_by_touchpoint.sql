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
with answered as (
    select interaction_id, touchpoint_name
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
)

select
    a.touchpoint_name,
    count(*)                                            as answered,
    count(s.interaction_id)                             as survey_answers,
    100.0 * count(s.interaction_id) / count(*)          as response_rate
from answered as a
left join customer_surveys as s using (interaction_id)
group by a.touchpoint_name
order by response_rate desc
