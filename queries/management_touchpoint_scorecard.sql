-- title: Touchpoint scorecard
-- description: "Each touchpoint's service promise, its one owning unit, and how often contacts in the scope kept it, worst first. Attainment = contacts meeting the SLA / contacts judged (offered contacts whose outcome is known); Low and High bound its 95 % Wilson interval. A wait SLA is met when the contact was answered within the SLA's seconds (an abandoned contact never meets it); a resolution SLA is met when the contact was resolved within them, counted from queueing (an unresolved or abandoned contact never meets it). A contact whose wait or resolution time is not recorded is not judged, and a touchpoint whose SLA rests on a column the store lacks has no attainment (Measured on says 'not in this store': no waiting times, or no resolution field or times, were imported). CSAT = survey answers of 4-5 / all answers. Every filter applies."
-- page: management
-- chart: table
-- order: 70
-- column_needs: {"CSAT %": customer_surveys.csat, "Survey answers": customer_surveys.csat}
-- params: [date_from, date_to, site, team, channel, touchpoint]
with scoped as (
    select * from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
),

contacts_against_sla as (
    select
        c.touchpoint_id,
        c.interaction_id,
        -- null (not judged) where the store lacks the measure's column or the contact's value of it
        case
            when tp.sla_measure = 'wait_s' and supplied('interactions', 'wait_s') then
                case when c.abandoned then false when c.wait_s is not null then c.wait_s <= tp.sla_seconds end
            when tp.sla_measure = 'resolution_s' and supplied('interactions', 'resolved')
                 and supplied('interactions', 'resolution_s') then
                case when c.abandoned or not c.resolved then false
                     when c.resolution_s is not null then c.resolution_s <= tp.sla_seconds end
        end as met_sla
    from scoped as c
    join touchpoints as tp using (touchpoint_id)
),

per_touchpoint as (
    select
        a.touchpoint_id,
        count(*)                               as contacts,
        count(a.met_sla)                       as judged,
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
    case
        when tp.sla_measure = 'wait_s' and not supplied('interactions', 'wait_s')
            then 'wait (not in this store)'
        when tp.sla_measure = 'wait_s' then 'wait'
        when not (supplied('interactions', 'resolved') and supplied('interactions', 'resolution_s'))
            then 'resolution (not in this store)'
        else 'resolution'
    end                                                             as "Measured on",
    p.contacts                                                      as "Contacts",
    p.judged                                                        as "Judged",
    round(100.0 * p.met_sla / nullif(p.judged, 0), 1)               as "Attainment %",
    round(100.0 * wilson_lower(p.met_sla, p.judged), 1)             as "Low %",
    round(100.0 * wilson_upper(p.met_sla, p.judged), 1)             as "High %",
    round(100.0 * p.satisfied / nullif(p.survey_answers, 0), 1)     as "CSAT %",
    p.survey_answers                                                as "Survey answers"
from per_touchpoint as p
join touchpoints as tp using (touchpoint_id)
order by "Attainment %", "Touchpoint"
