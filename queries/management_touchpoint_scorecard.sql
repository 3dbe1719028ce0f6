-- title: Touchpoint scorecard
-- description: "Each touchpoint's service promise, its one owning unit, and how often contacts in the scope kept it, worst first. Attainment = contacts meeting the SLA / all contacts offered; Low and High bound its 95 % Wilson interval. A wait SLA is met when the contact was answered within the SLA's seconds (an abandoned contact never meets it); a resolution SLA is met when the contact was resolved within them, counted from queueing (an unresolved or abandoned contact never meets it). CSAT = survey answers of 4-5 / all answers. Every filter applies."
-- page: management
-- chart: table
-- order: 70
-- params: [date_from, date_to, site, team, channel, touchpoint]
with scoped as (
    select * from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

contacts_against_sla as (
    select
        c.touchpoint_id,
        c.interaction_id,
        case tp.sla_measure
            when 'wait_s'       then not c.abandoned and c.wait_s <= tp.sla_seconds
            when 'resolution_s' then coalesce(c.resolved and c.resolution_s <= tp.sla_seconds, false)
        end as met_sla
    from scoped as c
    join touchpoints as tp using (touchpoint_id)
),

per_touchpoint as (
    select
        a.touchpoint_id,
        count(*)                               as contacts,
        count(*) filter (where a.met_sla)      as met_sla,
        count(s.csat)                          as survey_answers,
        count(*) filter (where s.csat >= 4)    as satisfied
    from contacts_against_sla as a
    left join customer_surveys as s using (interaction_id)
    group by a.touchpoint_id
)

select
    tp.touchpoint_name                                              as "Touchpoint",
    tp.owner_unit                                                   as "Owning unit",
    tp.sla_name                                                     as "SLA",
    case tp.sla_measure when 'wait_s' then 'wait' else 'resolution' end as "Measured on",
    p.contacts                                                      as "Contacts",
    round(100.0 * p.met_sla / p.contacts, 1)                        as "Attainment %",
    round(100.0 * wilson_lower(p.met_sla, p.contacts), 1)           as "Low %",
    round(100.0 * wilson_upper(p.met_sla, p.contacts), 1)           as "High %",
    round(100.0 * p.satisfied / nullif(p.survey_answers, 0), 1)     as "CSAT %",
    p.survey_answers                                                as "Survey answers"
from per_touchpoint as p
join touchpoints as tp using (touchpoint_id)
order by "Attainment %", "Touchpoint"
