-- title: Escalation rate week by week
-- description: Answered contacts escalated beyond the agent (depth 1 or more) / answered contacts whose level is recorded, per week; dotted lines and shading mark events (an authority change, a system release). Filter to the piloted team to see its empowerment pilot. A week cut by the period's edge shows only its days inside.
-- page: escalations
-- needs: [contact_intervals.escalated]
-- chart: line
-- order: 50
-- x: week
-- y: escalation_rate_pct
-- target: escalation_rate
-- hover: [answered_contacts, escalated]
-- annotate_events: true
-- y_title: "Escalation rate %"
-- labels: {week: "Week", escalation_rate_pct: "Escalation rate %", answered_contacts: "Answered contacts (n)", escalated: "Escalated"}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the day rollup of the interval table (data/schema.sql): a day never straddles two weeks
with weekly as (
    select
        date_trunc('week', day)::date    as week,
        sum(depth_recorded)::bigint                  as answered_contacts,  -- with a recorded level, as the KPI
        sum(escalated)::bigint                       as escalated
    from filtered_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by week
)

select week, answered_contacts, escalated, 100.0 * escalated / answered_contacts as escalation_rate_pct
from weekly
where answered_contacts > 0
order by week
