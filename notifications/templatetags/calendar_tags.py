"""``{% missing_calendar_warning %}``: the admin home page's warning when next year's holidays are missing."""

from django import template
from django.utils import timezone

from workdays import days

register = template.Library()


@register.inclusion_tag("admin/notifications/missing_calendar_warning.html")
def missing_calendar_warning():
    year = days.missing_calendar_year(timezone.localdate())
    return {"year": year, "message": days.missing_calendar_message(year) if year else ""}
