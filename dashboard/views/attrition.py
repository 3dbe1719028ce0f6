"""Attrition on both sides: agent attrition and customer churn (query files with `page: attrition`),
then agents' retention curves by tenure (dashboard/sections/attrition.py)."""

from dashboard import live

live.render("attrition")
