-- title: Agent requests answered within 72 h, by kind
-- description: "Share of requests opened in the period answered within 72 hours, for each kind of request, with the 95 % Wilson interval; hover for n. A request still unanswered counts as late. Agent side: site, team and period apply, channel and touchpoint do not."
-- page: management
-- chart: bar
-- x: kind
-- y: within_72h_pct
-- error_low: within_72h_low
-- error_high: within_72h_high
-- hover: [requests, answered_within_72h, median_answer_h]
-- needs: [agent_requests.answered_at]
-- labels: {kind: "Kind of request", within_72h_pct: "Answered within 72 h %", requests: "Requests", answered_within_72h: "Answered within 72 h", median_answer_h: "Median time to answer (h)"}
-- order: 20
-- params: [date_from, date_to, site, team]
with requests_in_period as (
    select
        r.kind,
        r.answered_at <= r.opened_at + interval 72 hour          as answered_in_time,
        date_diff('minute', r.opened_at, r.answered_at) / 60.0   as answer_h
    from agent_requests as r
    join filtered_agents($site, $team) as a using (agent_id)
    where r.opened_at >= $date_from and r.opened_at < $date_to + interval 1 day
),

per_kind as (
    select
        kind,
        count(*)                                  as requests,
        count(*) filter (where answered_in_time)  as answered_within_72h,
        median(answer_h)                          as median_answer_h
    from requests_in_period
    group by kind
)

select
    kind,
    100.0 * answered_within_72h / requests                 as within_72h_pct,
    100.0 * wilson_lower(answered_within_72h, requests)    as within_72h_low,
    100.0 * wilson_upper(answered_within_72h, requests)    as within_72h_high,
    requests,
    answered_within_72h,
    round(median_answer_h, 1)                              as median_answer_h
from per_kind
order by within_72h_pct desc
