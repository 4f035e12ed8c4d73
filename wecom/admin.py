from django.contrib import admin

from wecom.models import AccountChange, IdChangeRequest, UsedWeComId


class _ReadOnly(admin.ModelAdmin):
    """Records of who may sign in as whom: written only by ``wecom.services``, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccountChange)
class AccountChangeAdmin(_ReadOnly):
    list_display = ["created", "kind", "person", "old", "new", "by", "agency"]
    list_filter = ["kind"]
    search_fields = ["person__username", "old", "new"]


@admin.register(IdChangeRequest)
class IdChangeRequestAdmin(_ReadOnly):
    list_display = ["created", "person", "old", "new", "status", "requested_by", "approved_by", "agency"]
    list_filter = ["status"]
    search_fields = ["person__username", "old", "new"]


@admin.register(UsedWeComId)
class UsedWeComIdAdmin(_ReadOnly):
    list_display = ["userid", "person", "how", "first_used", "last_used"]
    search_fields = ["userid", "person__username"]
