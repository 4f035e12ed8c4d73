from django.contrib import admin

from core.admin_readonly import ReadOnly
from projects.models import (
    Agency,
    Checkpoint,
    DepartmentGoals,
    FiscalYear,
    Indicator,
    Project,
    Section,
    SpendPlan,
    TargetSheet,
)
from projects.models import SheetState, new_year_points

admin.site.site_header = "targetflow 预算绩效目标管理"
admin.site.site_title = "targetflow"
admin.site.index_title = "后台管理"


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    """Roles are given on the 人员与角色 page (/people/), where every change is recorded; not here."""

    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [SectionInline]

    def get_readonly_fields(self, request, obj=None):
        return _published_fields(obj)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "agency"]
    list_filter = ["agency"]
    search_fields = ["name"]


class CheckpointInline(admin.TabularInline):
    """A year with a published sheet keeps its checkpoints: the published plans are labelled by their dates."""

    model = Checkpoint
    extra = 0

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _year_published(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _year_published(obj)


def _year_published(fiscal_year) -> bool:
    return fiscal_year is not None and fiscal_year.sheets.filter(state=SheetState.PUBLISHED).exists()


def _published_fields(obj) -> list[str]:
    """The fields a published sheet shows, read-only once ``obj`` (an agency or a project) has one."""
    return list(obj.PUBLISHED_FIELDS) if obj is not None and obj.has_published_sheet() else []


@admin.register(FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ["year"]
    inlines = [CheckpointInline]

    def save_related(self, request, form, formsets, change):
        """A year added without checkpoints takes the region's default rule pack's points (as every new year does)."""
        super().save_related(request, form, formsets, change)
        year = form.instance
        if not change and not year.checkpoints.exists():
            Checkpoint.objects.bulk_create(
                Checkpoint(fiscal_year=year, date=date, planned_percent=percent) for date, percent in new_year_points(year.year)
            )


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "agency", "section"]
    list_filter = ["agency", "section"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["agency", *_published_fields(obj)] if obj is not None else []

    def save_model(self, request, obj, form, change):
        """A new section moves every sheet of the project with it, and their open steps, in one transaction."""
        if change and "section" in form.changed_data:
            section = obj.section
            obj.section_id = form.initial.get("section")
            other = [name for name in form.changed_data if name != "section"]
            if other:
                obj.save(update_fields=other)
            from projects.services import project_section_set  # here, not at start-up (every process loads the admin)

            project_section_set(project=obj, section=section, user=request.user)
        else:
            super().save_model(request, obj, form, change)


def _locked(obj) -> bool:
    """A sheet under review or published is read-only here as everywhere else."""
    return obj is not None and not obj.is_editable


class SheetPartInline(ReadOnly, admin.TabularInline):
    extra = 0


class SpendPlanInline(SheetPartInline):
    model = SpendPlan


class IndicatorInline(SheetPartInline):
    model = Indicator
    fields = ["order", "category", "subcategory", "name", "description", "target_value", "value_kind", "basis"]
    readonly_fields = ["value_kind"]


@admin.register(TargetSheet)
class TargetSheetAdmin(admin.ModelAdmin):
    """Read-only: a sheet's content is edited in the editor (versioned and checked), its state only by its approval,
    and its section follows its project."""

    list_display = ["display_title", "project", "fiscal_year", "section", "state", "version", "budget_total"]
    list_filter = ["fiscal_year", "state", "agency", "section"]
    search_fields = ["project__code", "project__name", "title"]
    inlines = [SpendPlanInline, IndicatorInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _locked(obj)


@admin.register(DepartmentGoals)
class DepartmentGoalsAdmin(admin.ModelAdmin):
    list_display = ["agency", "fiscal_year", "updated"]
    list_filter = ["fiscal_year"]
