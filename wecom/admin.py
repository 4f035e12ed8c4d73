from django.contrib import admin

from wecom.models import AccountChange


@admin.register(AccountChange)
class AccountChangeAdmin(admin.ModelAdmin):
    list_display = ["created", "person", "old", "new", "by", "agency"]
    search_fields = ["person__username", "old", "new"]
    readonly_fields = ["person", "agency", "old", "new", "by", "created"]

    def has_add_permission(self, request):
        return False
