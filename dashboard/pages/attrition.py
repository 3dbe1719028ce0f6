"""Attrition on both sides: the charts whose query files say `page: attrition`."""

from dashboard import ui

ui.render_page("attrition", "Attrition on both sides")
