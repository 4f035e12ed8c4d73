"""监控规则包 in the admin: the finance bureau reads the shipped packs, copies one (复制) and changes the copy.
绩效运行监控表 and 监控处置 are read here only: their content is written on their pages (versioned, graded,
checked) and their states only by the approval engine, so the admin neither adds, changes nor deletes them."""

from django.contrib import admin, messages

from core.admin_readonly import ReadOnly
from core.errors import AppError

from monitoring import grading
from monitoring.models import RULE_FIELDS, Disposal, MonitoringReport, MonitoringRow, RulePack, YearRulePack


@admin.register(RulePack)
class RulePackAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region", "confidence", "is_default", "shipped", "point_dates", "updated"]
    list_filter = ["confidence", "shipped", "is_default"]
    search_fields = ["name", "code", "region", "source"]
    actions = ["copy"]
    fieldsets = [
        (None, {"fields": ["name", "code", "region", "is_default", "source", "confidence", "note"]}),
        ("监控时点", {"fields": ["points", "warning_timing"]}),
        ("支出预警与目标完成", {"fields": ["spending_rule", "spending_thresholds", "attainment_rule", "attainment_thresholds", "reason_colours"]}),
        ("处置", {"fields": [
            "disposal_options", "disposal_workdays", "overdue_consequence", "proposal_options", "proposal_workdays",
            "consecutive_warnings", "consecutive_consequence",
        ]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # a shipped pack keeps its rules as its source says (RulePack.clean refuses a change at every door)
        return list(RULE_FIELDS) if obj is not None and obj.shipped else []

    @admin.display(description="监控时点")
    def point_dates(self, obj):
        return "、".join(f"{p['date']} {p['expected']}%" for p in obj.points if isinstance(p, dict))

    @admin.action(description="复制选中的规则包")
    def copy(self, request, queryset):
        from monitoring import services  # here, not at start-up (the admin is loaded by every process)

        made = []
        for pack in queryset.order_by("code"):
            try:
                made.append(services.rule_pack_copy(pack=pack))
            except AppError as problem:
                self.message_user(request, f"“{pack.name}”未能复制：{problem.message}", messages.ERROR)
        if made:
            self.message_user(
                request, f"已复制 {len(made)} 个规则包：{'、'.join(p.name for p in made)}。请打开副本修改，再为年度选用。", messages.SUCCESS
            )


@admin.register(YearRulePack)
class YearRulePackAdmin(ReadOnly, admin.ModelAdmin):
    """The record of each year's choices: made with ``manage.py monitoring_rules``, read here."""

    list_display = ["fiscal_year", "pack", "chosen_at", "chosen_by", "checkpoints_changed"]
    list_filter = ["pack"]
    list_select_related = ["fiscal_year", "pack", "chosen_by"]


class MonitoringRowInline(ReadOnly, admin.TabularInline):
    model = MonitoringRow
    extra = 0
    fields = ["category", "subcategory", "name", "target", "current", "level", "forecast", "likelihood", "reason_kind",
              "reason_note", "measures", "colour_label", "how"]
    readonly_fields = fields

    @admin.display(description="灯色")
    def colour_label(self, obj):
        return grading.COLOUR_LABELS.get(obj.colour, "")


@admin.display(description="名称")
def _title(obj) -> str:
    return obj.display_title


def _colour(obj) -> str:
    return grading.COLOUR_LABELS.get(obj.colour, "") if obj.colour else "—"


@admin.register(MonitoringReport)
class MonitoringReportAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [_title, "agency", "section", "point_date", "state", "report_colour", "spending_percent", "version"]
    list_filter = ["state", "point_date", "colour", "pack"]
    search_fields = ["sheet__project__code", "sheet__project__name", "sheet__title"]
    list_select_related = ["sheet__project", "sheet__fiscal_year", "agency", "section"]
    raw_id_fields = ["sheet"]
    inlines = [MonitoringRowInline]
    show_full_result_count = False  # a province's reports: no COUNT(*) of the whole table per page

    @admin.display(description="总灯", ordering="colour")
    def report_colour(self, obj):
        return _colour(obj)


@admin.register(Disposal)
class DisposalAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [_title, "agency", "section", "point_date", "due", "state", "choice", "consequence", "flagged"]
    list_filter = ["state", "point_date", "due", "consequence", "pack"]
    search_fields = ["sheet__project__code", "sheet__project__name", "sheet__title"]
    list_select_related = ["sheet__project", "sheet__fiscal_year", "agency", "section"]
    raw_id_fields = ["sheet", "adjustment"]
    show_full_result_count = False
