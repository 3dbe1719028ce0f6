"""Customer vs agent: the charts whose query files say `page: customer-vs-agent`."""

from dashboard import ui

ui.render_page("customer-vs-agent", "Customer vs agent")
