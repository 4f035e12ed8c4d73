from django.contrib import admin

from core.admin_readonly import ReadOnly
from wecom.models import AccountChange, IdChangeRequest, UsedWeComId


@admin.register(AccountChange)
class AccountChangeAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created", "kind", "person", "old", "new", "by", "agency"]
    list_filter = ["kind"]
    search_fields = ["person__username", "old", "new"]


@admin.register(IdChangeRequest)
class IdChangeRequestAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created", "person", "old", "new", "status", "requested_by", "approved_by", "agency"]
    list_filter = ["status"]
    search_fields = ["person__username", "old", "new"]


@admin.register(UsedWeComId)
class UsedWeComIdAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["userid", "person", "how", "first_used", "last_used"]
    search_fields = ["userid", "person__username"]
