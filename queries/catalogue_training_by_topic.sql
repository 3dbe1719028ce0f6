-- title: Training hours by topic
-- description: Hours of training held in the period, by topic, for agents of the filtered site and team (channel and touchpoint do not apply to agents); hover for the sessions and agents trained.
-- chart: bar
-- tags: [agents]
-- x: topic
-- y: training_hours
-- hover: [sessions, agents_trained]
-- labels: {topic: "Topic", training_hours: "Training hours", sessions: "Sessions", agents_trained: "Agents trained"}
-- needs: [training]
-- params: [date_from, date_to, site, team]
select
    t.topic,
    sum(t.training_hours)           as training_hours,
    count(*)                        as sessions,
    count(distinct t.agent_id)      as agents_trained
from training as t
join filtered_agents($site, $team) as a using (agent_id)
where t.held_on between $date_from and $date_to
group by t.topic
order by training_hours desc
