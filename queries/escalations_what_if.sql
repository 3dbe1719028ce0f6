-- title: What if agents could grant more
-- description: Escalated exception requests in the period, and those asking for no more than the what-if limit ($grant_limit), which an agent allowed to grant up to it would have decided at once; with the customer-hours spent waiting for the decision after the contact ended.
-- page: escalations
-- chart: data
-- needs: [interactions.escalation_depth, interactions.exception_requested, interactions.exception_amount, interactions.decided_at]
-- params: [date_from, date_to, site, team, channel, touchpoint, grant_limit]

-- Summed from the escalated exception requests counted per day and amount (data/schema.sql:
-- filtered_escalated_exceptions), not from every contact of the period: the amount is kept to the cent, so
-- any limit counts the contacts' own amounts. The waits are summed in microseconds, exactly, then made hours.
select
    coalesce(sum(escalations), 0)::bigint                                               as escalations,
    coalesce(sum(escalations) filter (where exception_amount <= $grant_limit), 0)::bigint as escalations_avoided,
    -- the customer waits from the end of the contact until someone above the agent decides
    coalesce(sum(waited_us)::double / 3600e6, 0)                                        as waiting_hours,
    coalesce(sum(waited_us) filter (where exception_amount <= $grant_limit)::double / 3600e6, 0)
                                                                                        as waiting_hours_saved
from filtered_escalated_exceptions($date_from, $date_to, $site, $team, $channel, $touchpoint)
