-- title: Agent attrition by site, annualised
-- description: The mean over the period's calendar months of leavers / average headcount, x 12, per site. Leavers (the period's total) and average headcount (the mean of the monthly averages) on hover. Channel and touchpoint filters do not apply to agents.
-- page: attrition
-- chart: bar
-- order: 30
-- x: site
-- y: attrition_annualised_pct
-- hover: [leavers, average_headcount, months]
-- y_title: "Attrition % (annualised)"
-- labels: {team_name: "Team", site: "Site", attrition_annualised_pct: "Attrition % (annualised)", leavers: "Leavers in the period", average_headcount: "Average headcount", months: "Months"}
-- params: [date_from, date_to, site, team]
with scoped_agents as (
    select * from filtered_agents($site, $team)
),

months as (
    -- every calendar month the period touches, as in the overview's attrition figure
    select m::date as month, (m + interval 1 month - interval 1 day)::date as last_day
    from generate_series(date_trunc('month', $date_from::date), date_trunc('month', $date_to::date), interval 1 month) as g(m)
),

monthly as (
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
