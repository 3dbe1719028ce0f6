-- title: "The mirror: agents in bands, against their customers' outcomes"
-- description: "For each agent-side lever, the agents who answered contacts in the filters (site and team: the agent's team; period, channel and touchpoint: the contacts) are ranked by the lever and split into quarters, thirds and halves (ties split by agent id), or by whether their team's manager answered at least 80 % of the team's requests opened in the period within 72 h. Survey levers rank only agents who answered the survey in the period, by the mean of their own answers; no agent's own value leaves the query, only each band's sums. Each band carries its customers' answer and contact counts, so every rate is computed from summed numerators and denominators, and per outcome the sums over its agents of squares and cross products of their counts (for intervals that allow for one agent's customers being alike). band_size counts the band's respondents (survey levers) or agents (the others): a band below the respondent threshold is blanked."
-- page: customer-vs-agent
-- chart: data
-- needs: [interactions.agent_id]
-- respondents: {lever_sum: band_size, lever_count: band_size, lever_misses: band_size, lever_low: band_size, lever_high: band_size, csat_answers: band_size, csat_satisfied: band_size, nps_answers: band_size, promoters: band_size, detractors: band_size, resolution_known: band_size, first_contact_resolved: band_size, depth_recorded: band_size, escalated: band_size, handled: band_size, handle_s: band_size, handle_s_squares: band_size, answered: band_size, csat_yy: band_size, csat_yn: band_size, csat_nn: band_size, csat_agents: band_size, nps_yy: band_size, nps_yn: band_size, nps_nn: band_size, nps_agents: band_size, fcr_yy: band_size, fcr_yn: band_size, fcr_nn: band_size, fcr_agents: band_size, escalation_yy: band_size, escalation_yn: band_size, escalation_nn: band_size, escalation_agents: band_size, aht_yy: band_size, aht_yn: band_size, aht_nn: band_size, aht_agents: band_size}
-- params: [date_from, date_to, site, team, channel, touchpoint, min_respondents]

-- summed from the monthly rollup (data/schema.sql: filtered_contact_months), equal to the contacts' sums
with answered_months as (
    select m.*
    from filtered_contact_months($date_from, $date_to, $site, $team, $channel, $touchpoint) as m
    join filtered_agents($site, $team) as a using (agent_id)
    where not m.abandoned
),

customer_contacts as (
    -- the AHT, FCR, escalation and survey counts of each agent's answered contacts (the KPI layer's
    -- definitions); survey answers count with the contact they answer, so with the agent who served it
    select
        agent_id,
        sum(contacts)::bigint                                                      as answered,
        sum(handled)::bigint                                                       as handled,
        coalesce(sum(handle_s), 0)::double                                         as handle_s,
        coalesce(sum(handle_s_squared), 0)::double                                 as handle_s_squares,
        sum(resolution_known)::bigint                                              as resolution_known,
        sum(first_contact_resolved)::bigint                                        as first_contact_resolved,
        coalesce(sum(contacts) filter (where escalation_depth is not null), 0)::bigint as depth_recorded,
        coalesce(sum(contacts) filter (where escalation_depth > 0), 0)::bigint     as escalated,
        sum(csat_answers)::bigint                                                  as csat_answers,
        sum(csat_satisfied)::bigint                                                as csat_satisfied,
        sum(nps_answers)::bigint                                                   as nps_answers,
        sum(promoters)::bigint                                                     as promoters,
        sum(detractors)::bigint                                                    as detractors
    from answered_months
    group by agent_id
),

served as (
    select
        a.agent_id, a.team_id, a.hired_on, a.left_on, a.authority_limit,
        cc.answered, cc.handled, cc.handle_s, cc.handle_s_squares, cc.resolution_known,
        cc.first_contact_resolved, cc.depth_recorded, cc.escalated, cc.csat_answers, cc.csat_satisfied,
        cc.nps_answers, cc.promoters, cc.detractors
    from customer_contacts as cc
    join agents as a using (agent_id)
),

own_answers as (
    -- each agent's survey answers in the period: used to rank and to sum, never returned one by one
    select
        agent_id,
        avg(satisfaction)                          as satisfaction_mean,
        count(satisfaction)                        as satisfaction_answers,
        count(*) filter (where satisfaction >= 4)  as satisfaction_hits,
        avg(enps)                                  as enps_mean,
        count(enps)                                as enps_answers,
        count(*) filter (where enps >= 9)          as enps_promoters,
        count(*) filter (where enps <= 6)          as enps_detractors,
        avg(pressure)                              as pressure_mean,
        count(pressure)                            as pressure_answers,
        sum(pressure)                              as pressure_sum
    from agent_surveys
    where surveyed_at between $date_from and $date_to
    group by agent_id
),

team_requests as (
    -- the management SLA (design section 4): requests of the team's agents opened in the period
    select
        a.team_id,
        count(*)                                                                as requests_opened,
        count(*) filter (where r.answered_at <= r.opened_at + interval 72 hour) as answered_within_72h
    from agent_requests as r
    join agents as a using (agent_id)
    where r.opened_at >= $date_from and r.opened_at < $date_to + interval 1 day
    group by a.team_id
),

training_hours as (
    select agent_id, sum(training_hours) as hours
    from training
    where held_on between $date_from and $date_to
    group by agent_id
),

-- one row per agent and lever: the value that ranks the agent, and what the band sums to show. One
-- select over the levers (not a union of one per lever): the same rows, and a plan a fraction the size,
-- which on this query costs more than running it
lever_values as (
    select
        l.lever,
        s.*,
        case l.lever
            when 'satisfaction' then o.satisfaction_mean
            when 'enps' then o.enps_mean
            when 'pressure' then o.pressure_mean
            when 'training' then coalesce(t.hours, 0)
            when 'tenure' then date_diff('day', s.hired_on, least(coalesce(s.left_on, $date_to::date), $date_to::date)) / 365.25
            when 'authority' then s.authority_limit::double
        end as rank_value,
        case l.lever
            when 'satisfaction' then o.satisfaction_hits::double
            when 'enps' then o.enps_promoters::double
            when 'pressure' then o.pressure_sum::double
            when 'training' then coalesce(t.hours, 0)
            when 'tenure' then date_diff('day', s.hired_on, least(coalesce(s.left_on, $date_to::date), $date_to::date)) / 365.25
            when 'authority' then s.authority_limit::double
        end as lever_sum,
        case l.lever
            when 'satisfaction' then o.satisfaction_answers
            when 'enps' then o.enps_answers
            when 'pressure' then o.pressure_answers
            else 1
        end as lever_count,
        case when l.lever = 'enps' then o.enps_detractors else 0 end as lever_misses,
        l.survey
    from served as s
    left join own_answers as o using (agent_id)
    left join training_hours as t using (agent_id)
    cross join (values ('satisfaction', true), ('enps', true), ('pressure', true), ('training', false),
                       ('tenure', false), ('authority', false)) as l(lever, survey)
    -- a survey lever ranks only agents who answered it; training, only when the store holds training
    where case l.lever
              when 'satisfaction' then o.satisfaction_answers > 0
              when 'enps' then o.enps_answers > 0
              when 'pressure' then o.pressure_answers > 0
              when 'training' then exists (select 1 from training)
              else true
          end
),

-- the finest split whose every band holds at least the respondent threshold: ntile makes bands of
-- floor(n / k) or one more, so k bands need n >= k x threshold; one split per lever, so no two bands
-- overlap and no difference of bands can single out a smaller group
lever_splits as (
    select
        lever,
        count(*) as agents,
        case when count(*) >= 4 * $min_respondents then 4
             when count(*) >= 3 * $min_respondents then 3
             when count(*) >= 2 * $min_respondents then 2
             else 0 end as bands
    from lever_values
    group by lever
),

banded as (
    select v.*, k.bands, ntile(k.bands) over (partition by v.lever order by v.rank_value, v.agent_id) as band
    from lever_values as v
    join lever_splits as k using (lever)
    where k.bands > 0
    union all by name
    -- met or missed is a team's, so its two bands are not quantiles: band 1 missed, band 2 met
    select 'manager_72h' as lever, s.*, 2 as bands,
           case when t.answered_within_72h >= 0.8 * t.requests_opened then 2 else 1 end as band,
           100.0 * t.answered_within_72h / t.requests_opened as rank_value,
           t.answered_within_72h::double as lever_sum, t.requests_opened as lever_count, 0 as lever_misses,
           false as survey
    from served as s join team_requests as t using (team_id)
)

select
    lever,
    bands,
    band,
    count(*)                                  as band_agents,
    count(*)                                  as band_size,   -- survey levers: every agent here answered
    bool_or(survey)                           as survey,
    -- a survey lever's band shows its pooled figure only; a range would be one agent's own value
    sum(lever_sum)                            as lever_sum,
    sum(lever_count)                          as lever_count,
    sum(lever_misses)                         as lever_misses,
    case when not bool_or(survey) then min(rank_value) end as lever_low,
    case when not bool_or(survey) then max(rank_value) end as lever_high,
    sum(answered)                             as answered,
    sum(csat_answers)                         as csat_answers,
    sum(csat_satisfied)                       as csat_satisfied,
    sum(nps_answers)                          as nps_answers,
    sum(promoters)                            as promoters,
    sum(detractors)                           as detractors,
    sum(resolution_known)                     as resolution_known,
    sum(first_contact_resolved)               as first_contact_resolved,
    sum(depth_recorded)                       as depth_recorded,
    sum(escalated)                            as escalated,
    sum(handled)                              as handled,
    sum(handle_s)                             as handle_s,
    sum(handle_s_squares)                     as handle_s_squares,
    -- per outcome, sums over the band's agents of y^2, y n and n^2 (y an agent's hits, or net
    -- promoters, or handle seconds; n its answers or contacts): the cluster-robust variance of the
    -- band's rate (dashboard/mirror.py), since one agent's customers are alike; band sums only
    sum(csat_satisfied ^ 2)                   as csat_yy,
    sum(csat_satisfied * csat_answers)        as csat_yn,
    sum(csat_answers ^ 2)                     as csat_nn,
    sum((promoters - detractors) ^ 2)         as nps_yy,
    sum((promoters - detractors) * nps_answers) as nps_yn,
    sum(nps_answers ^ 2)                      as nps_nn,
    sum(first_contact_resolved ^ 2)           as fcr_yy,
    sum(first_contact_resolved * resolution_known) as fcr_yn,
    sum(resolution_known ^ 2)                 as fcr_nn,
    sum(escalated ^ 2)                        as escalation_yy,
    sum(escalated * depth_recorded)           as escalation_yn,
    sum(depth_recorded ^ 2)                   as escalation_nn,
    sum(handle_s ^ 2)                         as aht_yy,
    sum(handle_s * handled)                   as aht_yn,
    sum(handled ^ 2)                          as aht_nn,
    -- the agents each outcome has a figure from (the clusters)
    count(*) filter (where csat_answers > 0)      as csat_agents,
    count(*) filter (where nps_answers > 0)       as nps_agents,
    count(*) filter (where resolution_known > 0)  as fcr_agents,
    count(*) filter (where depth_recorded > 0)    as escalation_agents,
    count(*) filter (where handled > 0)           as aht_agents
from banded
group by lever, bands, band
union all by name
-- a lever too few agents answered for two bands: its count only, so the page can say so
select lever, 0 as bands, agents as band_agents, agents as band_size
from lever_splits
where bands = 0
order by lever, band
