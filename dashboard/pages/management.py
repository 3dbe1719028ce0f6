"""Management and touchpoints: the charts whose query files say `page: management`."""

from dashboard import ui

ui.render_page("management", "Management and touchpoints")
