from django.contrib import admin

from core.admin_readonly import ReadOnly
from workflow.models import Event


@admin.register(Event)
class EventAdmin(ReadOnly, admin.ModelAdmin):
    """The approval history is evidence: readable here, never edited."""

    list_display = ["created", "document", "action", "actor", "from_state", "to_state"]
    list_filter = ["action", "to_state"]
    search_fields = ["sheet__project__code", "sheet__project__name", "actor__username", "comment"]
    date_hierarchy = "created"
