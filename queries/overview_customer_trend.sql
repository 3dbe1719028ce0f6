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
-- column_needs: {csat: customer_surveys.csat, survey_answers: customer_surveys.csat, service_level: interactions.wait_s, abandon_rate: interactions.abandoned}
-- params: [date_from, date_to, site, team, channel, touchpoint]
with scoped as (
    select *, date_trunc('week', queued_at)::date as week
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

weekly_contacts as (
    select
        week,
        count(*)                                                 as offered,
        count(*) filter (where abandoned)                        as abandoned,
        count(*) filter (where not abandoned and wait_s <= 20)   as answered_within_20s,
        -- as the overview's KPI: answered contacts with a known wait and those abandoned after 20 s
        count(wait_s) filter (where not abandoned)
            + count(*) filter (where abandoned and wait_s > 20)  as service_level_base
    from scoped
    group by week
),

weekly_surveys as (
    select week, count(s.csat) as answers, count(*) filter (where s.csat >= 4) as satisfied
    from scoped
    join customer_surveys as s using (interaction_id)
    group by week
)

select
    c.week,
    100.0 * s.satisfied / nullif(s.answers, 0)                     as csat,
    100.0 * c.answered_within_20s / nullif(c.service_level_base, 0) as service_level,
    100.0 * c.abandoned / nullif(c.offered, 0)                     as abandon_rate,
    c.offered                                                      as contacts,
    s.answers                                                      as survey_answers
from weekly_contacts as c
left join weekly_surveys as s using (week)
order by c.week
