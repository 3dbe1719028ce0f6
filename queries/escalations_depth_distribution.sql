-- title: Where decisions are made
-- description: Escalation depth of answered contacts (0 = the agent decided, 1 = team lead, 2 = manager, 3 = senior management), as a share of the contacts where the customer asked for an exception and of all answered contacts. Only exception requests can be escalated, so the overall shares are dominated by depth 0.
-- page: escalations
-- needs: [interactions.escalation_depth]
-- row_needs: {"Exception requests": interactions.exception_requested}
-- n: contacts
-- unknown: no recorded escalation level
-- chart: bar
-- order: 10
-- x: depth_label
-- y: share_pct
-- color: contacts_in
-- hover: [contacts, total_contacts]
-- y_title: "% of contacts"
-- labels: {depth_label: "Decided by", share_pct: "Share %", contacts_in: "Share of", contacts: "Contacts", total_contacts: "All contacts in the group"}
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the team-grain monthly rollup (data/schema.sql: filtered_team_months), equal to the contacts' sums
with answered as (
    select escalation_depth, exception_requested, contacts
    from filtered_team_months($date_from, $date_to, $site, $team, $channel, $touchpoint)
    where not abandoned
),

-- every depth appears, even one with no contacts, so the bars line up
depth_levels as (
    select * from (values
        (0, '0 · agent'), (1, '1 · team lead'), (2, '2 · manager'), (3, '3 · senior management')
    ) as d(escalation_depth, depth_label)
),

groups as (
    select * from (values ('Exception requests', 1), ('All answered contacts', 2)) as g(contacts_in, group_order)
),

counted as (
    select 'Exception requests' as contacts_in, escalation_depth, sum(contacts)::bigint as contacts
    from answered
    where exception_requested
    group by escalation_depth
    union all
    select 'All answered contacts', escalation_depth, sum(contacts)::bigint
    from answered
    group by escalation_depth
),

filled as (
    select d.depth_label, d.escalation_depth, g.contacts_in, g.group_order, coalesce(c.contacts, 0) as contacts
    from depth_levels as d
    cross join groups as g
    left join counted as c using (escalation_depth, contacts_in)
),

shares as (
    select
        depth_label,
        contacts_in,
        contacts,
        (sum(contacts) over (partition by contacts_in))::bigint                    as total_contacts,
        100.0 * contacts / nullif(sum(contacts) over (partition by contacts_in), 0) as share_pct,
        group_order,
        escalation_depth
    from filled
    where (select sum(contacts) from answered) > 0
    union all
    -- contacts with no recorded level are in no share: the chart leaves them out and counts them once
    -- (those asking for an exception are among all answered contacts)
    select null, 'All answered contacts', sum(contacts)::bigint, null, null, 3, null
    from answered
    where escalation_depth is null
    having sum(contacts) > 0
)

select depth_label, contacts_in, contacts, total_contacts, share_pct
from shares
order by group_order, escalation_depth
