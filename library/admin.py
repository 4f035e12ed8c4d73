from django.contrib import admin

from library.models import CurationEvent, Entry, Usage


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "subcategory", "kind", "recommended", "retired", "use_count", "source")
    list_filter = ("kind", "recommended", "retired", "category", "subcategory")
    search_fields = ("name", "initials", "description")
    readonly_fields = ("use_count", "initials", "merged_into", "created", "updated")


@admin.register(CurationEvent)
class CurationEventAdmin(admin.ModelAdmin):
    list_display = ("created", "action", "entry", "other", "actor")
    list_filter = ("action",)
    readonly_fields = [f.name for f in CurationEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Usage)
class UsageAdmin(admin.ModelAdmin):
    list_display = ("entry", "year", "sheet", "target_value")
    raw_id_fields = ("entry", "sheet")
