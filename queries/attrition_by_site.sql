-- title: Agent attrition by site, annualised
-- description: The mean over the period's calendar months of leavers / average headcount, x 12, per site. Leavers (the period's total) and average headcount (the mean of the monthly averages) on hover. Channel and touchpoint filters do not apply to agents.
-- page: attrition
-- chart: bar
-- value_labels: true
-- order: 30
-- x: site
-- y: attrition_annualised_pct
-- target: attrition_annualised
-- hover: [leavers, average_headcount, months]
-- y_title: "Attrition % (annualised)"
-- labels: {team_name: "Team", site: "Site", attrition_annualised_pct: "Attrition % (annualised)", leavers: "Leavers in the period", average_headcount: "Average headcount", months: "Months"}
-- needs: [agents.left_on]
-- params: [date_from, date_to, site, team]
with monthly as (
    -- a site's month is the sum of its teams' months
    select month, site, sum(leavers) as leavers, sum(average_headcount) as average_headcount
    from team_month_attrition($date_from, $date_to, $site, $team)
    group by month, site
)

-- annualised from the mean monthly rate: months without staff carry no rate
select
    site,
    sum(leavers)::bigint                                                                as leavers,
    avg(average_headcount)                                                              as average_headcount,
    count(*) filter (where average_headcount > 0)                                       as months,
    100.0 * 12 * avg(leavers / average_headcount) filter (where average_headcount > 0)  as attrition_annualised_pct
from monthly
group by site
order by attrition_annualised_pct desc nulls last
