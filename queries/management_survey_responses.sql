-- title: Agent survey responses by milestone
-- description: "Answers given in the period at each tenure milestone, how many agents were due one (their 3, 6, 12 or 24 months after hire fell in the period while they were employed), and the response rate. The quarterly pulse goes to everyone employed, so it has its own row and no due count. Agent side: site, team and period apply."
-- page: management
-- chart: data
-- needs: [agent_surveys]
-- column_needs: {"Agents due": agents.left_on, "Response rate %": agents.left_on}
-- respondents: counts only
-- params: [date_from, date_to, site, team]
with scoped_agents as (
    select * from filtered_agents($site, $team)
),

answers as (
    select s.milestone, count(*) as answers, count(distinct s.agent_id) as agents_answering
    from agent_surveys as s
    join scoped_agents using (agent_id)
    where s.surveyed_at between $date_from and $date_to
    group by s.milestone
),

milestones(milestone, months, milestone_order) as (
    values ('3m', 3, 1), ('6m', 6, 2), ('12m', 12, 3), ('24m', 24, 4)
),

-- who was due: the milestone date falls in the period and the agent had not left by then
due as (
    select m.milestone, count(*) as agents_due
    from milestones as m
    cross join scoped_agents as a
    where (a.hired_on + to_months(m.months))::date between $date_from and $date_to
      and (a.left_on is null or a.left_on > (a.hired_on + to_months(m.months))::date)
    group by m.milestone
)

select
    case a.milestone when 'pulse' then 'Quarterly pulse' else replace(a.milestone, 'm', ' months') || ' after hire' end as "Milestone",
    a.answers                                                                     as "Answers",
    a.agents_answering                                                            as "Agents answering",
    d.agents_due                                                                  as "Agents due",
    round(100.0 * a.answers / nullif(d.agents_due, 0), 1)                         as "Response rate %"
from answers as a
left join milestones as m using (milestone)
left join due as d using (milestone)
order by coalesce(m.milestone_order, 5)
