"""Query catalogue: the charts whose query files say `page: queries`."""

from dashboard import ui

ui.render_page("queries", "Query catalogue")
