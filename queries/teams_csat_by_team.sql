-- title: CSAT by team
-- description: "Share of survey answers scoring 4-5 for the contacts each team handled in the scope, with the 95 % Wilson interval; hover for n. Teams are ordered by the interval's lower bound, so a team with few answers does not top the list by luck. Every filter applies. Click a bar to narrow every page to that team."
-- page: teams
-- chart: bar
-- x: team_name
-- y: csat_pct
-- target: csat
-- error_low: csat_low
-- error_high: csat_high
-- hover: [site, survey_answers, answered]
-- drill: team_name
-- labels: {team_name: "Team", csat_pct: "CSAT %", site: "Site", survey_answers: "Survey answers", answered: "Answered contacts"}
-- order: 10
-- needs: [contact_intervals.csat_answers]
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the day rollup of the interval table (data/schema.sql)
with per_team as (
    select
        team_name,
        site,
        sum(answered)::bigint          as answered,
        sum(csat_answers)::bigint      as survey_answers,
        sum(csat_satisfied)::bigint    as satisfied
    from filtered_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by team_name, site
)

select
    team_name,
    site,
    100.0 * satisfied / survey_answers               as csat_pct,
    100.0 * wilson_lower(satisfied, survey_answers)  as csat_low,
    100.0 * wilson_upper(satisfied, survey_answers)  as csat_high,
    survey_answers,
    answered
from per_team
where survey_answers > 0
order by csat_low desc, team_name
