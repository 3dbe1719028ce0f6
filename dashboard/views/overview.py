"""Overview: the charts whose query files say `page: overview`."""

from dashboard import ui

ui.render_page("overview")
