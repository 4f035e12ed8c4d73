from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from projects.models import (
    Agency,
    Checkpoint,
    DepartmentGoals,
    FiscalYear,
    Indicator,
    Project,
    Section,
    SpendPlan,
    SpendReport,
    TargetSheet,
)

admin.site.site_header = "targetflow 预算绩效目标管理"
admin.site.site_title = "targetflow"
admin.site.index_title = "后台管理"


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0


@admin.register(Agency)
class AgencyAdmin(GuardedModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [SectionInline]


@admin.register(Section)
class SectionAdmin(GuardedModelAdmin):
    list_display = ["name", "agency"]
    list_filter = ["agency"]
    search_fields = ["name"]


class CheckpointInline(admin.TabularInline):
    model = Checkpoint
    extra = 0


@admin.register(FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ["year"]
    inlines = [CheckpointInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "agency", "section"]
    list_filter = ["agency", "section"]
    search_fields = ["code", "name"]


def _locked(obj) -> bool:
    """A sheet under review or published is read-only here as everywhere else."""
    return obj is not None and not obj.is_editable


class SheetPartInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not _locked(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _locked(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _locked(obj)


class SpendPlanInline(SheetPartInline):
    model = SpendPlan


class IndicatorInline(SheetPartInline):
    model = Indicator
    fields = ["order", "category", "subcategory", "name", "description", "target_value", "value_kind", "basis"]
    readonly_fields = ["value_kind"]


@admin.register(TargetSheet)
class TargetSheetAdmin(admin.ModelAdmin):
    list_display = ["display_title", "project", "fiscal_year", "section", "state", "budget_total"]
    list_filter = ["fiscal_year", "state", "agency", "section"]
    search_fields = ["project__code", "project__name", "title"]
    inlines = [SpendPlanInline, IndicatorInline]
    readonly_fields = ["state", "created", "updated"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _locked(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _locked(obj)


@admin.register(DepartmentGoals)
class DepartmentGoalsAdmin(admin.ModelAdmin):
    list_display = ["agency", "fiscal_year", "updated"]
    list_filter = ["fiscal_year"]


@admin.register(SpendReport)
class SpendReportAdmin(admin.ModelAdmin):
    list_display = ["sheet", "checkpoint", "amount", "reported_by", "reported_at"]
    list_filter = ["checkpoint__fiscal_year", "sheet__agency"]
    search_fields = ["sheet__project__code", "sheet__project__name"]
