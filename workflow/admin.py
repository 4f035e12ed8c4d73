from django.contrib import admin

from workflow.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The approval history is evidence: readable here, never edited."""

    list_display = ["created", "document", "action", "actor", "from_state", "to_state"]
    list_filter = ["action", "to_state"]
    search_fields = ["sheet__project__code", "sheet__project__name", "actor__username", "comment"]
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
