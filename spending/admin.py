from django.contrib import admin

from spending.models import SpendReport


@admin.register(SpendReport)
class SpendReportAdmin(admin.ModelAdmin):
    list_display = ["sheet", "checkpoint", "amount", "reported_by", "reported_at"]
    list_filter = ["checkpoint__fiscal_year", "sheet__agency"]
    search_fields = ["sheet__project__code", "sheet__project__name"]
