"""Management and touchpoints: managers' answers to agents, agent surveys by tenure milestone,
training against outcomes, and the touchpoint scorecard. The header-drawn charts come from the
query files that say `page: management`; the milestone survey section (t intervals from scipy) is
dashboard/sections/management.py. Sections: dashboard/layout.py."""

from dashboard import live

live.render("management")
