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
select
    date_trunc('month', queued_at)::date        as month,
    channel,
    count(*)                                    as contacts,
    count(*) filter (where abandoned)           as abandoned
from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
group by all
order by month, channel
