"""Wait times: the charts whose query files say `page: wait-times`, hour-by-weekday heatmaps under a
measure picker, and an Erlang C staffing what-if (dashboard/sections/wait_times.py)."""

from dashboard import live

live.render("wait-times")
