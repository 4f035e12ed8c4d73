from django.contrib import admin

from core.admin_readonly import ReadOnly
from spending.models import SpendReport


@admin.register(SpendReport)
class SpendReportAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only: a report is recorded only by its section's 经办人 through ``spend_report_record`` (the amount within
    the budget and in cumulative order, the sheet published, the checkpoint of its year, the 进度说明 where the year's
    rules require one, the reporter who recorded it). Changed here, it would say the staff reported what they did
    not; added or deleted here, it would skip every one of those checks."""

    list_display = ["sheet", "checkpoint", "amount", "reported_by", "reported_at"]
    list_filter = ["checkpoint__fiscal_year", "sheet__agency"]
    list_select_related = ["sheet__project", "sheet__fiscal_year", "checkpoint", "reported_by"]
    search_fields = ["sheet__project__code", "sheet__project__name"]
