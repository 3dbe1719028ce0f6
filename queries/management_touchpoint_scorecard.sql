-- title: Touchpoint scorecard
-- description: "Each touchpoint's service promise, its one owning unit, and how often contacts in the scope kept it, worst first. Attainment = contacts meeting the SLA / contacts judged (offered contacts whose outcome is known); Low and High bound its 95 % Wilson interval. A wait SLA is met when the contact was answered within the SLA's seconds (an abandoned contact never meets it); a resolution SLA is met when the contact was resolved within them, counted from queueing (an unresolved or abandoned contact never meets it). A contact whose wait or resolution time is not recorded is not judged, and a touchpoint whose SLA rests on a column the store lacks has no attainment (Measured on says 'not in this store': no waiting times, or no resolution field or times, were imported). CSAT = survey answers of 4-5 / all answers. Every filter applies."
-- page: management
-- chart: table
-- order: 70
-- column_needs: {"CSAT %": contact_intervals.csat_answers, "Survey answers": contact_intervals.csat_answers}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the day rollup of the interval table (data/schema.sql), which judged each contact against its
-- touchpoint's SLA at publish; a measure the store lacks judges nothing (supplied() reads coverage)
with per_touchpoint as (
    select
        touchpoint_id,
        sum(offered)::bigint                                                       as contacts,
        (case when supplied('contact_intervals', 'wait_sla_judged')
             then sum(wait_sla_judged) else 0 end
          + case when supplied('contact_intervals', 'resolution_sla_judged')
             then sum(resolution_sla_judged) else 0 end)::bigint                   as judged,
        (case when supplied('contact_intervals', 'wait_sla_met')
             then sum(wait_sla_met) else 0 end
          + case when supplied('contact_intervals', 'resolution_sla_met')
             then sum(resolution_sla_met) else 0 end)::bigint                      as met_sla,
        sum(csat_answers)::bigint                                                  as survey_answers,
        sum(csat_satisfied)::bigint                                                as satisfied
    from filtered_days($date_from, $date_to, $site, $team, $channel, $touchpoint)
    group by touchpoint_id
)

select
    tp.touchpoint_name                                              as "Touchpoint",
    tp.owner_unit                                                   as "Owning unit",
    tp.sla_name                                                     as "SLA",
    case
        when tp.sla_measure = 'wait_s' and not supplied('contact_intervals', 'wait_sla_met')
            then 'wait (not in this store)'
        when tp.sla_measure = 'wait_s' then 'wait'
        when not supplied('contact_intervals', 'resolution_sla_met')
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
