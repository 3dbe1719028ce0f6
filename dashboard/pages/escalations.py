"""Escalations and empowerment: the charts whose query files say `page: escalations`."""

from dashboard import ui

ui.render_page("escalations", "Escalations and empowerment")
