from django.contrib import admin

from exports.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "kind", "status", "done", "total", "created", "finished", "expires")
    list_filter = ("kind", "status")
    search_fields = ("owner__username", "file_name")
    readonly_fields = ("owner", "kind", "filters", "status", "done", "total", "file_name", "size", "error", "created", "started", "finished", "expires")
    exclude = ("path",)

    def has_add_permission(self, request):
        return False
