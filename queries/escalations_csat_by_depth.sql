-- title: CSAT by escalation depth
-- description: Share of survey answers of 4 or 5, for contacts with no exception asked and for exception requests by the level that decided them; whiskers are Wilson 95 % intervals, n on hover. Association, not proof of cause.
-- page: escalations
-- needs: [interactions.escalation_depth, interactions.exception_requested, customer_surveys.csat]
-- n: survey_answers
-- unknown: no recorded exception request or escalation level
-- reading: {compare: first, hits: satisfied_answers}
-- chart: bar
-- order: 20
-- x: decided_by
-- y: csat_pct
-- error_low: csat_low_pct
-- error_high: csat_high_pct
-- hover: [survey_answers, satisfied_answers]
-- y_title: "CSAT %"
-- labels: {decided_by: "Decided by", csat_pct: "CSAT %", survey_answers: "Survey answers (n)", satisfied_answers: "Answers of 4-5"}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the team-grain monthly rollup (data/schema.sql: filtered_team_months), equal to the contacts' sums
with answered as (
    select exception_requested, escalation_depth, csat_answers, csat_satisfied
    from filtered_team_months($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
),

-- contacts without an exception are the baseline: nothing needed deciding
labelled as (
    select
        csat_answers,
        csat_satisfied,
        case when not exception_requested then -1 when exception_requested then escalation_depth end as depth_order,
        -- an unknown request flag or level is no level at all: null, left out of the chart and counted
        case
            when exception_requested is null then null
            when not exception_requested then 'No exception asked'
            when escalation_depth = 0 then '0 · agent'
            when escalation_depth = 1 then '1 · team lead'
            when escalation_depth = 2 then '2 · manager'
            when escalation_depth >= 3 then '3 · senior management'
        end as decided_by
    from answered
),

answers as (
    select l.decided_by, l.depth_order, sum(l.csat_answers)::bigint as survey_answers,
           sum(l.csat_satisfied)::bigint as satisfied_answers
    from labelled as l
    group by l.decided_by, l.depth_order
)

select
    decided_by,
    survey_answers,
    satisfied_answers,
    100.0 * satisfied_answers / nullif(survey_answers, 0)        as csat_pct,
    100.0 * wilson_lower(satisfied_answers, survey_answers)      as csat_low_pct,
    100.0 * wilson_upper(satisfied_answers, survey_answers)      as csat_high_pct,
    depth_order
from answers
where survey_answers > 0
order by depth_order
