"""Wait times: the charts whose query files say `page: wait-times`."""

from dashboard import ui

ui.render_page("wait-times", "Wait times")
