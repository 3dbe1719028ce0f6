-- title: Customer side by week
-- description: Per week; edge weeks count only days in the period.
-- page: overview
-- chart: line
-- order: 15
-- x: week
-- y: [csat, service_level, abandon_rate]
-- target: {csat: csat, service_level: service_level, abandon_rate: abandon_rate}
-- y_title: "%"
-- labels: {csat: "CSAT %", service_level: "Service level % (20 s)", abandon_rate: "Abandon rate %"}
-- column_needs: {csat: contact_intervals.csat_answers, survey_answers: contact_intervals.csat_answers, service_level: [contact_intervals.answered_within_20s, contact_intervals.abandoned_after_20s], abandon_rate: contact_intervals.abandoned}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the day rollup of the interval table: a day never straddles two weeks
with weekly as (
    select
        date_trunc('week', day)::date   as week,
        sum(offered)::bigint                        as offered,
        sum(abandoned)::bigint                      as abandoned,
        sum(answered_within_20s)::bigint            as answered_within_20s,
        -- as the overview's KPI: answered contacts with a known wait and those abandoned after 20 s
        (sum(answered_with_wait) + sum(abandoned_after_20s))::bigint as service_level_base,
        sum(csat_answers)::bigint                   as answers,
        sum(csat_satisfied)::bigint                 as satisfied
    from filtered_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by week
)

select
    week,
    100.0 * satisfied / nullif(answers, 0)                      as csat,
    100.0 * answered_within_20s / nullif(service_level_base, 0) as service_level,
    100.0 * abandoned / nullif(offered, 0)                      as abandon_rate,
    offered                                                     as contacts,
    answers                                                     as survey_answers
from weekly
order by week
