"""监控规则包: a region's monitoring points, thresholds, colours and 处置 deadlines, as data (issue 21)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse

from monitoring import grading, packs
from projects.approvable import Approvable, approval_indexes
from projects.models import EDITABLE_STATES, SheetState, TargetSheet


class Confidence(models.TextChoices):
    """How sure we are of a pack's source (the marks of RULES.md)."""

    FIRST_HAND = "F", "原文依据（F）"
    AS_REPORTED = "2nd", "二手资料，待财政局确认（2nd）"
    UNCONFIRMED = "U", "未确认（U）"


# the fields that make the rules: a shipped pack keeps them as its source says (copy it to change them)
RULE_FIELDS = (
    "points", "warning_timing", "spending_rule", "spending_thresholds", "attainment_rule", "attainment_thresholds",
    "reason_colours", "disposal_options", "disposal_workdays", "overdue_consequence", "proposal_options",
    "proposal_workdays", "consecutive_warnings", "consecutive_consequence", "source", "confidence",
)


def _empty_list():
    return []


def _empty_dict():
    return {}


class RulePack(models.Model):
    code = models.SlugField(
        "代码", max_length=40, unique=True, help_text="英文字母、数字和连字符，命令 monitoring_rules --use 用它，如 sichuan"
    )
    name = models.CharField("名称", max_length=100, unique=True)
    region = models.CharField("适用地区", max_length=50, blank=True)
    source = models.TextField("依据文件", help_text="文件名称和文号，或规则来源")
    confidence = models.CharField("依据可靠程度", max_length=3, choices=Confidence.choices)
    is_default = models.BooleanField("默认规则包", default=False, help_text="未指定规则包的年度使用默认规则包；只能有一个")
    shipped = models.BooleanField("系统内置", default=False, editable=False)
    copied_from = models.ForeignKey(
        "self", verbose_name="复制自", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    points = models.JSONField(
        "监控时点", default=_empty_list,
        help_text='每个时点：日期（月-日）、累计支出进度（%）、报送截止日（月-日，早于时点则为次年）、是否监控'
        '（monitored，默认 true；false 的时点只用于资金支出计划，如年底 100%），'
        '如 [{"date": "06-30", "expected": "50", "report_by": "07-10"}, {"date": "12-31", "expected": "100", "monitored": false}]',
    )
    warning_timing = models.CharField(
        "预警发出时间", max_length=20, choices=list(packs.WARNING_TIMINGS.items()), default=packs.WARNING_NEXT_WORKDAY
    )
    spending_rule = models.CharField("支出预警规则", max_length=20, choices=list(grading.SPENDING_RULES.items()))
    spending_thresholds = models.JSONField(
        "支出预警参数", default=_empty_dict, blank=True,
        help_text="低于计划：yellow_max_behind；低于预警线：colour；执行率分档：red_below、yellow_below",
    )
    attainment_rule = models.CharField("目标完成规则", max_length=20, choices=list(grading.ATTAINMENT_RULES.items()))
    attainment_thresholds = models.JSONField(
        "目标完成参数", default=_empty_dict, blank=True,
        help_text="分档：red_below、yellow_below、blue_from、ratio_kinds、bound_kinds、prorate_percent；"
        "进度偏差：max_gap、colour；偏差说明：over_percent",
    )
    reason_colours = models.JSONField(
        "需说明原因的灯色", default=_empty_list, blank=True, help_text='如 ["red", "yellow"]（red 红、yellow 黄、blue 蓝、green 绿）'
    )
    disposal_options = models.JSONField("处置选项", default=_empty_list, blank=True, help_text='如 ["确定继续执行", "调剂预算", "取消项目"]')
    disposal_workdays = models.PositiveSmallIntegerField("处置期限（工作日）", null=True, blank=True)
    overdue_consequence = models.CharField("逾期未处置的后果", max_length=100, blank=True)
    proposal_options = models.JSONField(
        "需提交方案的处置选项", default=_empty_list, blank=True, help_text="须是处置选项中的项"
    )
    proposal_workdays = models.PositiveSmallIntegerField("方案期限（工作日）", null=True, blank=True)
    consecutive_warnings = models.PositiveSmallIntegerField(
        "连续预警次数", null=True, blank=True, help_text="连续这么多个时点红灯即触发下面的后果；留空则不适用"
    )
    consecutive_consequence = models.CharField("连续预警的后果", max_length=100, blank=True)
    note = models.TextField("说明", blank=True)
    updated = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "监控规则包"
        ordering = ["-is_default", "code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="rule_pack_one_default"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        problems = packs.pack_problems(self)
        if self.pk is not None:
            stored = RulePack.objects.filter(pk=self.pk).values("shipped", "is_default", *RULE_FIELDS).first() or {}
            if stored.get("shipped"):
                for name in RULE_FIELDS:
                    if getattr(self, name) != stored[name]:
                        problems.setdefault(name, []).append(
                            "系统内置的规则包按其依据文件提供，不能修改：请用“复制”做一份副本，修改副本后再用于年度。"
                        )
            if stored.get("is_default") and not self.is_default:
                problems.setdefault("is_default", []).append("必须有一个默认规则包：请在另一个规则包上勾选“默认规则包”。")
            if stored.get("points") is not None and stored["points"] != self.points:
                years = sorted(YearRulePack.years_using(self))
                if years:
                    problems.setdefault("points", []).append(
                        f"{'、'.join(f'{y}年' for y in years)}正在使用这个规则包，监控时点不能再修改："
                        "请复制后修改副本，再用 monitoring_rules 为年度切换。"
                    )
        if problems:
            raise ValidationError(problems)

    @transaction.atomic
    def save(self, *args, **kwargs):
        """One default pack: making this one the default unsets the other."""
        if self.is_default:
            RulePack.objects.filter(is_default=True).exclude(pk=self.pk).update(is_default=False)
        super().save(*args, **kwargs)

    def points_in(self, year: int) -> list[packs.Point]:
        return packs.points_in(self, year)


class YearRulePack(models.Model):
    """A year's choice of rule pack, kept as a record: the latest choice of a year is its pack."""

    fiscal_year = models.ForeignKey("projects.FiscalYear", verbose_name="预算年度", on_delete=models.CASCADE, related_name="+")
    pack = models.ForeignKey(RulePack, verbose_name="规则包", on_delete=models.PROTECT, related_name="year_choices")
    chosen_at = models.DateTimeField("选定时间", auto_now_add=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="选定人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checkpoints_changed = models.BooleanField("已按规则包调整资金支出时间节点", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "年度监控规则"
        ordering = ["-chosen_at", "-id"]
        indexes = [models.Index(fields=["fiscal_year", "-chosen_at", "-id"], name="year_rule_pack_latest")]

    def __str__(self):
        return f"{self.fiscal_year} {self.pack}"

    @classmethod
    def years_using(cls, pack: RulePack) -> set[int]:
        """The years whose latest choice is ``pack``."""
        latest = {}
        for year, pack_id in cls.objects.order_by("chosen_at", "id").values_list("fiscal_year__year", "pack_id"):
            latest[year] = pack_id
        return {year for year, pack_id in latest.items() if pack_id == pack.pk}


# ---------------------------------------------------------------- the monitoring report and 处置 (documents)

REPORT_TEXT_MAX = 200  # 全年预计完成情况, 偏差原因说明, 纠偏措施


class Likelihood(models.TextChoices):
    """完成目标可能性."""

    CERTAIN = "certain", "确定能"
    POSSIBLE = "possible", "有可能"
    IMPOSSIBLE = "impossible", "完全不可能"


class ReasonKind(models.TextChoices):
    """偏差原因."""

    FUNDS = "funds", "经费保障"
    RULES = "rules", "制度保障"
    STAFF = "staff", "人员保障"
    HARDWARE = "hardware", "硬件保障"
    OTHER = "other", "其他"


def _point_label(date) -> str:
    return packs.Point(date, 0, date).label


def _report_chain():
    from workflow.steps import CHAIN, Chain

    labels = {**dict(CHAIN.labels), CHAIN.done: "已办结"}
    return Chain(author=CHAIN.author, drafting=CHAIN.drafting, steps=CHAIN.steps, done=CHAIN.done, labels=labels)


def _disposal_chain():
    """处置: the section's 经办人 decides, the agency's leader and finance approve (issue 21 item 3)."""
    from workflow.steps import CHAIN, Chain

    labels = {**dict(CHAIN.labels), CHAIN.done: "已办结"}
    steps = [step for step in CHAIN.steps if step.state != SheetState.SECTION_REVIEW]
    return Chain(author=CHAIN.author, drafting=CHAIN.drafting, steps=steps, done=CHAIN.done, labels=labels)


class MonitoringReport(Approvable):
    """绩效运行监控表: a published sheet's report at one monitoring point of its year's pack, drafted by its section and
    approved section head → leader → finance. Its lights are written by ``monitoring.reporting`` on every save
    (graded by the year's pack, ``monitoring.grading``); the spending is the sheet's spending report at the point."""

    approval_label = "运行监控表"
    approval_measure = "张"
    approval_this = "这张运行监控表"
    approval_related = ("sheet__project", "sheet__fiscal_year", "agency", "section")
    approval_title_related = ("sheet__project", "sheet__fiscal_year")
    history_field = "monitoring_report"
    approval_detail_route = "monitoring_report_by_id"
    approval_text_fields = ("sheet__title", "sheet__project__name", "sheet__project__code", "sheet__revision", "point_date")
    approval_drafts_order = ("-state", "id")
    approval_batch = False

    sheet = models.ForeignKey(
        "projects.TargetSheet", verbose_name="绩效目标表", on_delete=models.PROTECT, related_name="monitoring_reports"
    )
    point_date = models.DateField("监控时点")
    pack = models.ForeignKey(RulePack, verbose_name="规则包", on_delete=models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=20, choices=SheetState.choices, default=SheetState.DRAFT, db_index=True)
    # written with the content by the services (graded by the pack)
    spending_percent = models.DecimalField("累计支出进度（%）", max_digits=8, decimal_places=2, null=True, blank=True, editable=False)
    spending_colour = models.CharField("支出灯", max_length=10, blank=True, editable=False)
    spending_how = models.TextField("支出灯算式", blank=True, editable=False)
    colour = models.CharField("总灯", max_length=10, blank=True, editable=False)
    check_errors = models.PositiveSmallIntegerField("待补充项数", default=0, editable=False)
    created = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "绩效运行监控表"
        ordering = ["sheet", "point_date"]
        indexes = [*approval_indexes("monrep"), models.Index(fields=["point_date", "colour"], name="monrep_point_colour")]
        constraints = [models.UniqueConstraint(fields=["sheet", "point_date"], name="monitoring_report_one_per_point")]

    def __str__(self):
        return self.display_title

    @property
    def point_label(self) -> str:
        return _point_label(self.point_date)

    @property
    def display_title(self) -> str:
        return f"{self.sheet.display_title}（{self.point_label}运行监控）"

    def get_absolute_url(self) -> str:
        return reverse("monitoring_report", args=[self.sheet_id, self.point_date.isoformat()])

    @staticmethod
    def approval_text_title(title, project_name, code, revision, point_date) -> tuple[str, str]:
        """As ``display_title`` says it, from values (a province-wide 催办 builds no model)."""
        sheet = TargetSheet(title=title or project_name, revision=revision).display_title
        return f"{sheet}（{_point_label(point_date)}运行监控）", code

    def approval_facts(self) -> list[tuple[str, str | None]]:
        return [
            ("项目编码", self.sheet.project.code), ("预算单位", self.agency.unit_line),
            ("科室", self.section.name if self.section_id else None),
            ("监控结果", grading.COLOUR_LABELS.get(self.colour, "") or None),
        ]

    def approval_card_facts(self) -> list[tuple[str, str]]:
        return [
            ("项目", self.sheet.project.name), ("科室", self.section.name if self.section_id else ""),
            ("监控时点", self.point_label), ("监控结果", grading.COLOUR_LABELS.get(self.colour, "")),
        ]

    def approval_done_next(self) -> tuple[str, str]:
        return "运行监控表已办结，无需再办理。", self.get_absolute_url()

    def approval_errors(self) -> list[str]:
        from monitoring.reporting import content_errors

        return content_errors(self)

    @classmethod
    def approval_verdicts(cls, documents) -> None:
        for document in documents:
            document.error_count, document.warning_count = document.check_errors, 0

    def snapshot(self) -> dict:
        return {
            "sheet": self.sheet_id, "point": self.point_date.isoformat(), "pack": self.pack_id,
            "spending_percent": None if self.spending_percent is None else str(self.spending_percent),
            "colour": self.colour, "rows": [row.snapshot() for row in self.rows.all()],
        }

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class MonitoringRow(models.Model):
    """One indicator of a monitoring report: the sheet's indicator (copied, 指标值 in force) and what the section
    reported of it; its light written by the services."""

    report = models.ForeignKey(MonitoringReport, on_delete=models.CASCADE, related_name="rows")
    indicator = models.ForeignKey(
        "projects.Indicator", verbose_name="绩效指标", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.PositiveSmallIntegerField("顺序", default=0)
    category = models.CharField("一级指标", max_length=50)
    subcategory = models.CharField("二级指标", max_length=50, blank=True)
    name = models.CharField("三级指标", max_length=200)
    target = models.CharField("指标值", max_length=100)
    current = models.CharField("当前完成值", max_length=100, blank=True)
    level = models.CharField("完成情况（定性）", max_length=10, blank=True)
    forecast = models.CharField("全年预计完成情况", max_length=REPORT_TEXT_MAX, blank=True)
    likelihood = models.CharField("完成目标可能性", max_length=12, choices=Likelihood.choices, blank=True)
    reason_kind = models.CharField("偏差原因", max_length=12, choices=ReasonKind.choices, blank=True)
    reason_note = models.CharField("偏差原因说明", max_length=REPORT_TEXT_MAX, blank=True)
    measures = models.CharField("纠偏措施", max_length=REPORT_TEXT_MAX, blank=True)
    colour = models.CharField("灯色", max_length=10, blank=True, editable=False)
    how = models.TextField("评价算式", blank=True, editable=False)
    reason_required = models.BooleanField("需说明偏差原因", default=False, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "运行监控指标"
        ordering = ["report", "order", "id"]

    def __str__(self):
        return f"{self.name}：{self.current or '—'}"

    def snapshot(self) -> dict:
        return {name: getattr(self, name) for name in (
            "category", "subcategory", "name", "target", "current", "level", "forecast", "likelihood", "reason_kind",
            "reason_note", "measures", "colour",
        )}


class Disposal(Approvable):
    """处置: a sheet graded red at a monitoring point, its section's decision among the pack's options within the
    pack's working days, approved by the leader and finance. Past the deadline without a decision the pack's
    consequence is recorded (``consequence``, e.g. 暂停执行)."""

    approval_label = "监控处置"
    approval_measure = "项"
    approval_this = "这项监控处置"
    approval_related = ("sheet__project", "sheet__fiscal_year", "agency", "section")
    approval_title_related = ("sheet__project", "sheet__fiscal_year")
    history_field = "disposal"
    approval_detail_route = "monitoring_disposal"
    approval_text_fields = (
        "sheet__title", "sheet__project__name", "sheet__project__code", "sheet__revision", "point_date", "due",
    )
    approval_drafts_order = ("due", "id")  # 待办: the nearest deadline first
    approval_batch = False

    sheet = models.ForeignKey("projects.TargetSheet", verbose_name="绩效目标表", on_delete=models.PROTECT, related_name="disposals")
    point_date = models.DateField("监控时点")
    pack = models.ForeignKey(RulePack, verbose_name="规则包", on_delete=models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=20, choices=SheetState.choices, default=SheetState.DRAFT, db_index=True)
    warned_on = models.DateField("预警日期")
    due = models.DateField("处置期限")
    grounds = models.TextField("预警依据", blank=True)
    options = models.JSONField("处置选项", default=_empty_list)
    choice = models.CharField("处置决定", max_length=100, blank=True)
    note = models.CharField("处置说明", max_length=REPORT_TEXT_MAX, blank=True)
    adjustment = models.ForeignKey(
        "projects.TargetSheet", verbose_name="目标调整", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consequence = models.CharField("逾期后果", max_length=100, blank=True)
    consequence_on = models.DateField("逾期后果记录日期", null=True, blank=True)
    proposal_due = models.DateField(
        "方案提交期限", null=True, blank=True, help_text="处置决定需提交方案时（如调剂、取消），按规则包的工作日计"
    )
    flagged = models.CharField("连续预警后果", max_length=100, blank=True, help_text="连续若干个时点红灯时，如“列入现场核查”")
    created = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "监控处置"
        ordering = ["due", "id"]
        indexes = [
            *approval_indexes("disposal"),
            models.Index(fields=["sheet", "state"], name="disposal_sheet_state"),
            models.Index(fields=["due", "state"], name="disposal_due_state"),
        ]
        constraints = [models.UniqueConstraint(fields=["sheet", "point_date"], name="disposal_one_per_point")]

    def __str__(self):
        return self.display_title

    @property
    def point_label(self) -> str:
        return _point_label(self.point_date)

    @property
    def display_title(self) -> str:
        return f"{self.sheet.display_title}（{self.point_label}红灯处置，{self.due:%Y-%m-%d}前）"

    def get_absolute_url(self) -> str:
        return reverse("monitoring_disposal", args=[self.pk])

    @staticmethod
    def approval_text_title(title, project_name, code, revision, point_date, due) -> tuple[str, str]:
        sheet = TargetSheet(title=title or project_name, revision=revision).display_title
        return f"{sheet}（{_point_label(point_date)}红灯处置，{due:%Y-%m-%d}前）", code

    def approval_facts(self) -> list[tuple[str, str | None]]:
        return [
            ("项目编码", self.sheet.project.code), ("预算单位", self.agency.unit_line),
            ("科室", self.section.name if self.section_id else None), ("处置期限", f"{self.due:%Y-%m-%d}"),
            ("处置决定", self.choice or None), ("逾期后果", self.consequence or None),
        ]

    def approval_card_facts(self) -> list[tuple[str, str]]:
        return [
            ("项目", self.sheet.project.name), ("科室", self.section.name if self.section_id else ""),
            ("处置期限", f"{self.due:%Y-%m-%d}"), ("处置决定", self.choice or "未决定"),
        ]

    def approval_done_next(self) -> tuple[str, str]:
        return "处置决定已办结。", self.get_absolute_url()

    def approval_errors(self) -> list[str]:
        if not self.choice:
            return [f"请选择处置决定（{'、'.join(self.options)}）。"]
        return []

    @classmethod
    def approval_verdicts(cls, documents) -> None:
        for document in documents:
            document.error_count, document.warning_count = (0 if document.choice else 1), 0

    def snapshot(self) -> dict:
        return {
            "sheet": self.sheet_id, "point": self.point_date.isoformat(), "due": self.due.isoformat(),
            "choice": self.choice, "note": self.note, "adjustment": self.adjustment_id, "consequence": self.consequence,
            "proposal_due": self.proposal_due.isoformat() if self.proposal_due else None, "flagged": self.flagged,
        }

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_open(self) -> bool:
        return self.state != SheetState.PUBLISHED


REPORT_CHAIN = MonitoringReport.approval_chain = _report_chain()
DISPOSAL_CHAIN = Disposal.approval_chain = _disposal_chain()
