-- title: Agent attrition month by month, by site
-- description: Leavers in the month / average headcount in the month (the mean of the headcount on its first and last day), per site, as a monthly percentage. Agents belong to a team and site, not to a channel or touchpoint, so those two filters do not apply here.
-- page: attrition
-- chart: line
-- order: 10
-- x: month_label
-- y: monthly_attrition_pct
-- color: site
-- hover: [leavers, average_headcount]
-- y_title: "Leavers / average headcount, % per month"
-- labels: {month_label: "Month", monthly_attrition_pct: "Monthly attrition %", site: "Site", leavers: "Leavers", average_headcount: "Average headcount"}
-- needs: [agents.left_on]
-- params: [date_from, date_to, site, team]
with monthly_by_site as (
    -- a site's month is the sum of its teams' months
    select month, site, sum(leavers)::bigint as leavers, sum(average_headcount) as average_headcount
    from team_month_attrition($date_from, $date_to, $site, $team)
    group by month, site
)

select
    strftime(month, '%b %Y') as month_label,
    month,
    site,
    leavers,
    average_headcount,
    100.0 * leavers / nullif(average_headcount, 0) as monthly_attrition_pct
from monthly_by_site
order by month, site
