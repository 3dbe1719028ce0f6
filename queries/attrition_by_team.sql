-- title: Agent attrition by team, annualised
-- description: The mean over the period's calendar months of leavers / average headcount, x 12, per team (current team of each agent). Leavers (the period's total) and average headcount (the mean of the monthly averages) on hover. Channel and touchpoint filters do not apply to agents.
-- page: attrition
-- chart: bar
-- value_labels: true
-- order: 20
-- x: team_name
-- y: attrition_annualised_pct
-- target: attrition_annualised
-- hover: [site, leavers, average_headcount, months]
-- drill: team_name
-- y_title: "Attrition % (annualised)"
-- labels: {team_name: "Team", site: "Site", attrition_annualised_pct: "Attrition % (annualised)", leavers: "Leavers in the period", average_headcount: "Average headcount", months: "Months"}
-- needs: [agents.left_on]
-- params: [date_from, date_to, site, team]
with monthly as (
    select * from team_month_attrition($date_from, $date_to, $site, $team)
)

-- annualised from the mean monthly rate: months without staff carry no rate
select
    team_name,
    site,
    sum(leavers)::bigint                                                                as leavers,
    avg(average_headcount)                                                              as average_headcount,
    count(*) filter (where average_headcount > 0)                                       as months,
    100.0 * 12 * avg(leavers / average_headcount) filter (where average_headcount > 0)  as attrition_annualised_pct
from monthly
group by team_name, site
order by attrition_annualised_pct desc nulls last
