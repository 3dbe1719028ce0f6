-- title: Agent requests answered within 72 h, month by month
-- description: "Share of the month's requests answered within 72 hours, with the 95 % Wilson interval; hover for n. Requests opened in the last three days of the data may still await an answer and pull the final month down. Agent side: site, team and period apply, channel and touchpoint do not."
-- page: management
-- chart: line
-- x: month
-- y: within_72h_pct
-- target: manager_response_72h
-- error_low: within_72h_low
-- error_high: within_72h_high
-- hover: [requests, answered_within_72h]
-- needs: [agent_requests.answered_at]
-- labels: {month: "Month", within_72h_pct: "Answered within 72 h %", requests: "Requests", answered_within_72h: "Answered within 72 h"}
-- order: 30
-- params: [date_from, date_to, site, team]
with requests_in_period as (
    select
        date_trunc('month', r.opened_at)::date                as month,
        r.answered_at <= r.opened_at + interval 72 hour       as answered_in_time
    from agent_requests as r
    join filtered_agents($site, $team) as a using (agent_id)
    where r.opened_at >= $date_from and r.opened_at < $date_to + interval 1 day
),

per_month as (
    select
        month,
        count(*)                                  as requests,
        count(*) filter (where answered_in_time)  as answered_within_72h
    from requests_in_period
    group by month
)

select
    strftime(month, '%b %Y')                               as month,  -- text, so the axis shows months, not weeks
    100.0 * answered_within_72h / requests                 as within_72h_pct,
    100.0 * wilson_lower(answered_within_72h, requests)    as within_72h_low,
    100.0 * wilson_upper(answered_within_72h, requests)    as within_72h_high,
    requests,
    answered_within_72h
from per_month
order by per_month.month
