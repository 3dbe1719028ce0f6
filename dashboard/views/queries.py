"""Query catalogue: charts from query files whose header names no page, grouped by tag."""

from dashboard import live

live.render("queries")
