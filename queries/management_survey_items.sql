-- title: Agent survey items by tenure milestone
-- description: "Mean score (1-5) of each survey item at each tenure milestone (3, 6, 12 and 24 months after hire), for answers given in the period, with a 95 % confidence interval (mean ± t × sd / √n) and n on hover. Quarterly pulse answers are left out here because they are not tied to tenure; the table below counts them on their own row. Pressure: higher means more pressure. Agent side: the site, team and period filters apply, channel and touchpoint do not."
-- page: management
-- chart: data
-- x: milestone
-- color: item
-- needs: [agent_surveys]
-- row_needs: {satisfaction: agent_surveys.satisfaction, empowerment: agent_surveys.empowerment, manager_support: agent_surveys.manager_support, training_adequacy: agent_surveys.training_adequacy, pressure: agent_surveys.pressure}
-- respondents: {mean_score: respondents, sd_score: respondents}
-- params: [date_from, date_to, site, team]
with milestone_answers as (
    select s.*
    from agent_surveys as s
    join filtered_agents($site, $team) as a using (agent_id)
    where s.surveyed_at between $date_from and $date_to
      and s.milestone <> 'pulse'
),

-- one row per answer and item, so every item gets the same treatment
item_scores as (
    unpivot milestone_answers
    on satisfaction, empowerment, manager_support, training_adequacy, pressure
    into name item value score
)

select
    milestone,
    case milestone when '3m' then 1 when '6m' then 2 when '12m' then 3 when '24m' then 4 else 5 end as milestone_order,
    item,
    count(score)         as answers,
    count(distinct agent_id) as respondents,
    avg(score)           as mean_score,
    stddev_samp(score)   as sd_score
from item_scores
group by milestone, item
order by milestone_order, item
