"""Customer vs agent: both sides month by month, their relationship per team-month (pooled and
within team, with a lag), and a mirrored table of the two sides for the filtered scope. Sections:
dashboard/layout.py and dashboard/sections/customer_vs_agent.py."""

from dashboard import live

live.render("customer-vs-agent")
