"""Escalations sections: the what-if on the agents' authority limit. Plain code on a Canvas."""

from __future__ import annotations

from dashboard.canvas import Canvas

WHAT_IF_QUERY = "escalations_what_if"


def authority_what_if(canvas: Canvas) -> None:
    """Escalated exception requests the chosen limit would have let the agent decide at once, and
    the customer-hours of waiting that would have saved."""
    canvas.heading("What if agents could grant more")
    canvas.caption("Escalated exception requests in the period that asked for no more than the limit below would "
                   "have been decided by the agent at once. Waiting saved is the time from the end of the contact "
                   "to the decision, summed over those contacts. It assumes agents would decide them as their "
                   "managers did.")
    canvas.control("grant", "number", step=50.0, format="%.0f")   # data.bound() then binds it as grant_limit
    data = canvas.data
    query = data.query(WHAT_IF_QUERY)
    if missing := data.missing(query):
        canvas.no_data(missing)
        return
    what_if = data.run(query, data.bound()).row(0, named=True)
    escalations = what_if["escalations"] or 0
    if escalations == 0:
        canvas.notice("info", "No escalated exception requests for these filters, so there is nothing to avoid.")
        return
    avoided, hours, waiting = what_if["escalations_avoided"], what_if["waiting_hours_saved"], what_if["waiting_hours"]
    share_hours = 100 * hours / waiting if waiting else 0.0
    canvas.metrics([
        {"label": "Escalations avoided", "value": f"{avoided:,}",
         "help": "Escalated exception requests whose amount is at most the limit."},
        {"label": "Of all escalations", "value": f"{100 * avoided / escalations:.1f} %",
         "help": f"{avoided:,} of {escalations:,} escalated exception requests."},
        {"label": "Customer-hours saved", "value": f"{hours:,.0f} h",
         "help": "Sum over the avoided escalations of decided_at - ended_at."},
        {"label": "Of all decision waiting", "value": f"{share_hours:.1f} %",
         "help": f"{hours:,.0f} of {waiting:,.0f} customer-hours spent waiting for a decision above the agent."},
    ])
