"""Overview: the charts whose query files say `page: overview`."""

from dashboard import live

live.render("overview")
