from django.contrib import admin

from evaluations.models import Deadline, Publication


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    """自评结果公开日期 (finance sets them on the agency's view; here for administrators)."""

    list_display = ("agency", "fiscal_year", "public_from", "set_by", "updated")
    list_filter = ("fiscal_year",)
    search_fields = ("agency__code", "agency__name")
    autocomplete_fields = ()
    raw_id_fields = ("agency", "set_by")


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    """自评截止日期 (finance sets them on the agency's view; here for administrators)."""

    list_display = ("agency", "fiscal_year", "due", "set_by", "updated")
    list_filter = ("fiscal_year",)
    search_fields = ("agency__code", "agency__name")
    raw_id_fields = ("agency", "set_by")
