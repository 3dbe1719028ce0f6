"""SQL lab: the charts whose query files say `page: sql-lab`."""

from dashboard import ui

ui.render_page("sql-lab", "SQL lab")
