"""Escalations and empowerment: where exceptions are decided and what each level costs (query files
with `page: escalations`), then a what-if on the agents' authority limit."""

import streamlit as st

from dashboard import live, ui

live.render("escalations")

st.subheader("What if agents could grant more")
st.caption("Escalated exception requests in the period that asked for no more than the limit below would "
           "have been decided by the agent at once. Waiting saved is the time from the end of the contact "
           "to the decision, summed over those contacts. It assumes agents would decide them as their "
           "managers did.")
grant = ui.control("grant", st.number_input, step=50.0, format="%.0f")
missing = ui.missing_data(ui.query("escalations_what_if"))
what_if = {} if missing else ui.frame("escalations_what_if", {"grant": grant}).row(0, named=True)
escalations = what_if.get("escalations") or 0
if missing:
    ui.no_data(missing)
elif escalations == 0:
    st.info("No escalated exception requests for these filters, so there is nothing to avoid.")
else:
    avoided, hours = what_if["escalations_avoided"], what_if["waiting_hours_saved"]
    tiles = st.columns(4)
    tiles[0].metric("Escalations avoided", f"{avoided:,}", border=True,
                    help="Escalated exception requests whose amount is at most the limit.")
    tiles[1].metric("Of all escalations", f"{100 * avoided / escalations:.1f} %", border=True,
                    help=f"{avoided:,} of {escalations:,} escalated exception requests.")
    tiles[2].metric("Customer-hours saved", f"{hours:,.0f} h", border=True,
                    help="Sum over the avoided escalations of decided_at - ended_at.")
    share_hours = 100 * hours / what_if["waiting_hours"] if what_if["waiting_hours"] else 0.0
    tiles[3].metric("Of all decision waiting", f"{share_hours:.1f} %", border=True,
                    help=f"{hours:,.0f} of {what_if['waiting_hours']:,.0f} customer-hours spent waiting "
                         "for a decision above the agent.")
