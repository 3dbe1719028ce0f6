"""Teams and agents: the charts whose query files say `page: teams`."""

from dashboard import ui

ui.render_page("teams", "Teams and agents")
