-- title: What if agents could grant more
-- description: Escalated exception requests in the period, and those asking for no more than the what-if limit ($grant_limit), which an agent allowed to grant up to it would have decided at once; with the customer-hours spent waiting for the decision after the contact ended.
-- page: escalations
-- chart: data
-- needs: [interactions.escalation_depth, interactions.exception_requested, interactions.exception_amount, interactions.decided_at]
-- params: [date_from, date_to, site, team, channel, touchpoint, grant_limit]
with escalated as (
    select
        exception_amount,
        -- the customer waits from the end of the contact until someone above the agent decides
        (epoch(decided_at) - epoch(ended_at)) / 3600.0 as waiting_hours
    from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned and exception_requested and escalation_depth > 0
)

select
    count(*)                                                                as escalations,
    count(*) filter (where exception_amount <= $grant_limit)                as escalations_avoided,
    coalesce(sum(waiting_hours), 0)                                         as waiting_hours,
    coalesce(sum(waiting_hours) filter (where exception_amount <= $grant_limit), 0) as waiting_hours_saved
from escalated
