"""Escalations and empowerment: where exceptions are decided and what each level costs (query files
with `page: escalations`), then a what-if on the agents' authority limit (dashboard/sections/escalations.py)."""

from dashboard import live

live.render("escalations")
