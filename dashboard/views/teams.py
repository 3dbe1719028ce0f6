"""Teams and agents: CSAT by team (header-drawn, click to drill), ranked tables of teams and agents
by the Wilson lower bound of CSAT, and a funnel plot of CSAT against answers. Sections:
dashboard/layout.py and dashboard/sections/teams.py."""

from dashboard import live

live.render("teams")
