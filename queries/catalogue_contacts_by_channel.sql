-- title: Contacts by channel, month by month
-- description: Contacts offered in each calendar month of the period, by channel, stacked; hover for those abandoned. Every filter applies.
-- chart: bar
-- tags: [volume]
-- x: month
-- y: contacts
-- color: channel
-- barmode: stack
-- hover: [abandoned]
-- labels: {month: "Month", contacts: "Contacts", channel: "Channel", abandoned: "Abandoned"}
-- needs: [interactions]
-- params: [date_from, date_to, site, team, channel, touchpoint]

-- summed from the monthly rollup (data/schema.sql: filtered_contact_months), equal to the contacts' sums
select
    month,
    channel,
    sum(contacts)::bigint                                       as contacts,
    coalesce(sum(contacts) filter (where abandoned), 0)::bigint as abandoned
from filtered_contact_months($date_from, $date_to, $site, $team, $channel, $touchpoint)
group by all
order by month, channel
