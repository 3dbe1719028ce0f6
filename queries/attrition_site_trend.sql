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
-- params: [date_from, date_to, site, team]
with scoped_agents as (
    select * from filtered_agents($site, $team)
),

months as (
    -- every calendar month the period touches, as in the overview's attrition figure
    select m::date as month, (m + interval 1 month - interval 1 day)::date as last_day
    from generate_series(date_trunc('month', $date_from::date), date_trunc('month', $date_to::date), interval 1 month) as g(m)
),

monthly_by_site as (
    select
        m.month,
        a.site,
        count(*) filter (where a.left_on between m.month and m.last_day) as leavers,
        (count(*) filter (where a.hired_on <= m.month and (a.left_on is null or a.left_on > m.month))
         + count(*) filter (where a.hired_on <= m.last_day and (a.left_on is null or a.left_on > m.last_day))
        ) / 2.0 as average_headcount
    from months as m
    cross join scoped_agents as a
    group by m.month, a.site
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
