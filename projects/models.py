"""The documents: agencies, their projects, and each project's target sheet per year."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from projects import values
from projects.approvable import Approvable, approval_indexes

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2, "validators": [MinValueValidator(0), MaxValueValidator(100)]}

# today's checkpoints: a new year's when no rule pack says otherwise (the default pack ships the same points)
DEFAULT_CHECKPOINTS = (((3, 31), Decimal(25)), ((6, 30), Decimal(50)), ((10, 31), Decimal(75)), ((12, 31), Decimal(100)))

# (year) → [(date, cumulative %)]: a new year's checkpoints, the points of the region's default rule pack. Set by
# monitoring when it is installed (it sits above projects in the layers, so projects is told rather than asking);
# an empty answer, or none set, gives ``DEFAULT_CHECKPOINTS``.
_new_year_points: list = []


def new_year_points_source(source) -> None:
    _new_year_points[:] = [source]


def new_year_points(year: int) -> list[tuple[datetime.date, Decimal]]:
    points = _new_year_points[0](year) if _new_year_points else []
    return list(points) or [(datetime.date(year, m, d), p) for (m, d), p in DEFAULT_CHECKPOINTS]


class PublishedContent:
    """A record whose fields ``PUBLISHED_FIELDS`` a published sheet shows (its public page and Word): once one of its
    sheets is published they keep the values it was approved with. The admin shows them read-only; ``clean`` (model
    validation, which the admin's forms run) refuses a change."""

    PUBLISHED_FIELDS: tuple[str, ...] = ()
    PUBLISHED_OWNER = ""  # what the message calls the record

    def published_sheets(self):
        raise NotImplementedError

    def has_published_sheet(self) -> bool:
        return self.pk is not None and self.published_sheets().filter(state=SheetState.PUBLISHED).exists()

    def clean(self):
        super().clean()
        if self.pk is None:
            return
        stored = type(self).objects.filter(pk=self.pk).values(*self.PUBLISHED_FIELDS).first()
        changed = [name for name in self.PUBLISHED_FIELDS if stored is not None and getattr(self, name) != stored[name]]
        if changed and self.has_published_sheet():
            raise ValidationError({
                name: f"{self.PUBLISHED_OWNER}已有公开的绩效目标表，“{self._meta.get_field(name).verbose_name}”不能再修改："
                "公开页面和 Word 文件以审定时的内容为准。"
                for name in changed
            })


class Agency(PublishedContent, models.Model):
    PUBLISHED_FIELDS = ("code", "name")  # 单位编码 and 单位名称 head every published sheet
    PUBLISHED_OWNER = "该单位"

    code = models.CharField("单位编码", max_length=20, unique=True)
    name = models.CharField("单位名称", max_length=100)

    class Meta:
        verbose_name = verbose_name_plural = "预算单位"
        ordering = ["code"]
        permissions = [
            ("lead_agency", "作为局领导审批本单位绩效目标"),
            ("review_agency", "作为财政审核人审核本单位绩效目标"),
            ("manage_agency", "作为单位管理员管理本单位人员与角色"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def unit_line(self) -> str:
        return f"{self.code}{self.name}"

    def published_sheets(self):
        return self.sheets.all()


class Section(models.Model):
    agency = models.ForeignKey(Agency, verbose_name="预算单位", on_delete=models.PROTECT, related_name="sections")
    name = models.CharField("科室名称", max_length=100)
    wecom_robot_key = models.CharField(
        "企业微信群机器人 key", max_length=100, blank=True, help_text="可选：科室群机器人 webhook 地址中 key= 后的部分"
    )

    class Meta:
        verbose_name = verbose_name_plural = "科室"
        ordering = ["agency__code", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="section_unique_name_per_agency")]
        permissions = [
            ("draft_section", "作为经办人编制本科室绩效目标"),
            ("head_section", "作为科室负责人审核本科室绩效目标"),
        ]

    def __str__(self):
        return self.name


class FiscalYear(models.Model):
    year = models.PositiveSmallIntegerField("年度", unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "预算年度"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年"

    @classmethod
    def get_or_create_with_defaults(cls, year: int) -> "FiscalYear":
        """The year, created with the checkpoints of the region's default rule pack (``new_year_points``) when new."""
        fiscal_year, created = cls.objects.get_or_create(year=year)
        if created:
            Checkpoint.objects.bulk_create(
                Checkpoint(fiscal_year=fiscal_year, date=date, planned_percent=percent)
                for date, percent in new_year_points(year)
            )
        return fiscal_year


class Checkpoint(PublishedContent, models.Model):
    """A spending checkpoint of a year: by ``date`` a sheet plans to have spent a cumulative %."""

    PUBLISHED_FIELDS = ("date",)  # a published sheet's plan is labelled by it (“6月底”)
    PUBLISHED_OWNER = "该年度"

    def published_sheets(self):
        return TargetSheet.objects.filter(fiscal_year_id=self.fiscal_year_id)

    fiscal_year = models.ForeignKey(FiscalYear, verbose_name="预算年度", on_delete=models.CASCADE, related_name="checkpoints")
    date = models.DateField("时间节点")
    planned_percent = models.DecimalField("默认累计支出进度（%）", **PERCENT)

    class Meta:
        verbose_name = verbose_name_plural = "资金支出时间节点"
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["fiscal_year", "date"], name="checkpoint_unique_date")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        next_day = self.date + datetime.timedelta(days=1)
        if next_day.month != self.date.month:
            return f"{self.date.month}月底"
        return f"{self.date.month}月{self.date.day}日"


class Project(PublishedContent, models.Model):
    PUBLISHED_FIELDS = ("code", "name")  # 项目编码 and 项目名称 of every published sheet of the project (any year)
    PUBLISHED_OWNER = "该项目"

    agency = models.ForeignKey(Agency, verbose_name="预算单位", on_delete=models.PROTECT, related_name="projects")
    section = models.ForeignKey(
        Section, verbose_name="科室", on_delete=models.SET_NULL, null=True, blank=True, related_name="projects"
    )
    code = models.CharField("项目编码", max_length=40, unique=True)
    name = models.CharField("项目名称", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "预算项目"
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def published_sheets(self):
        return self.sheets.all()


class SheetState(models.TextChoices):
    DRAFT = "draft", "草稿"
    RETURNED = "returned", "退回修改"
    SECTION_REVIEW = "section_review", "科室审核"
    LEADER_REVIEW = "leader_review", "局领导审批"
    FINANCE_REVIEW = "finance_review", "财政审核"
    PUBLISHED = "published", "已公开"


EDITABLE_STATES = (SheetState.DRAFT, SheetState.RETURNED)

ADJUSTMENT_REASON_MAX = 500  # 调整原因


class Revision(models.TextChoices):
    """What a row of ``TargetSheet`` is besides a sheet in force (``revision`` blank, ``revises`` empty)."""

    ADJUSTMENT = "adjustment", "目标调整"  # a revision of a published sheet on its way through the chain
    VERSION = "version", "历史版本"  # the content a sheet had in force before an adjustment replaced it


class InForceSheets(models.Manager):
    """The sheets in force: what every reader sees by default (lists, public pages, Word and Excel, spending,
    reminders, the library; ``project.sheets`` and the other related managers too). Adjustments and archived
    versions are rows of the same table that revise a sheet (``revises``): ``TargetSheet.documents`` shows the
    adjustments as well (the approval engine's manager), ``TargetSheet.all_objects`` every row."""

    def get_queryset(self):
        return super().get_queryset().filter(revises__isnull=True)


class SheetDocuments(models.Manager):
    """What the approval engine moves: the sheets in force and their adjustments (not the archived versions)."""

    def get_queryset(self):
        return super().get_queryset().exclude(revision=Revision.VERSION)


class ByRevision:
    """A document hook whose value differs on an adjustment: the engine reads the words of a document on the
    instance it moves (an adjustment says 调整), a class reads the sheet's."""

    def __init__(self, sheet, adjustment):
        self.sheet, self.adjustment = sheet, adjustment

    def __get__(self, instance, owner=None):
        if instance is not None and instance.revision == Revision.ADJUSTMENT:
            return self.adjustment
        return self.sheet


class TargetSheet(Approvable):
    """项目支出绩效目标表: one project's targets for one year, the first document of the approval engine.

    The approval columns come from ``Approvable``; what the engine asks of a document (``workflow.documents``) is
    answered by the ``approval_*`` attributes and methods below."""

    approval_label = ByRevision("绩效目标表", "目标调整")  # how the engine's texts name the document
    approval_measure = ByRevision("张", "份")  # its measure word: "这张绩效目标表", "这份目标调整"
    approval_this = ByRevision("这张表", "这份调整")  # how a refusal points at it
    approval_manager = "documents"  # the engine reads sheets and their adjustments (``workflow.documents``)
    approval_related = ("project", "agency", "section", "fiscal_year")  # read with it under a move's lock
    approval_title_related = ("project",)  # what ``display_title`` reads (已办 joins it)
    approval_drafts_order = ("-state", "position")  # 待办's drafts: returned first, in the package's order
    approval_search_fields = ("project__name", "project__code")  # 待办/已办/通知 search (trigram indexes, projects 0005)
    history_field = "sheet"  # its foreign key on workflow.Event (and on the notifications, WeCom cards)
    approval_detail_route = "sheet_detail"  # its page (a 催办 links to it)
    # what a province-wide read (催办) takes of it to name it, as values; ``approval_text_title`` makes them its
    # display title and code
    approval_text_fields = ("title", "project__name", "project__code", "revision")

    project = models.ForeignKey(Project, verbose_name="预算项目", on_delete=models.PROTECT, related_name="sheets")
    fiscal_year = models.ForeignKey(FiscalYear, verbose_name="预算年度", on_delete=models.PROTECT, related_name="sheets")
    # Copied from the project so that lists and task queues filter on indexed keys; written only by
    # ``projects.services`` together with the project (``project_section_set``), checked by ``check_workflow``.
    agency = models.ForeignKey(Agency, verbose_name="预算单位", on_delete=models.PROTECT, related_name="sheets")
    section = models.ForeignKey(
        Section, verbose_name="科室", on_delete=models.PROTECT, null=True, blank=True, related_name="sheets"
    )
    position = models.PositiveSmallIntegerField("序号", default=0, help_text="在单位绩效目标汇总表中的顺序")
    title = models.CharField("表名", max_length=200, blank=True, help_text="“N.<表名>绩效目标表”，留空则用项目名称")
    budget_total = models.DecimalField("预算数（万元）", **MONEY, default=Decimal("0.00"), validators=[MinValueValidator(0)])
    fiscal_funds = models.DecimalField("其中：财政资金（万元）", **MONEY, default=Decimal("0.00"), validators=[MinValueValidator(0)])
    other_funds = models.DecimalField("其他资金（万元）", **MONEY, default=Decimal("0.00"), validators=[MinValueValidator(0)])
    purpose = models.TextField("资金用途", blank=True)
    goal = models.TextField("绩效目标", blank=True)
    state = models.CharField("状态", max_length=20, choices=SheetState.choices, default=SheetState.DRAFT, db_index=True)
    rolled_over_from = models.ForeignKey(
        "self", verbose_name="由上年结转自", null=True, blank=True, on_delete=models.SET_NULL, related_name="rolled_over_to",
        help_text="由上一年度已公开的绩效目标表结转生成时，指向那张表",
    )
    # The checker's verdict on the content (``projects.rules.check_sheet``): how many errors and warnings it finds.
    # Written with the content in the same save (``projects.services.sheet_content_replace``, the one place content
    # is written); None when unknown (rows written outside it, or after the year's checkpoints changed): readers then
    # run the checker (``TargetSheet.verdict``).
    check_errors = models.PositiveSmallIntegerField("体检错误数", null=True, blank=True, editable=False)
    check_warnings = models.PositiveSmallIntegerField("体检提示数", null=True, blank=True, editable=False)
    created = models.DateTimeField("创建时间", auto_now_add=True)
    # 目标调整: a row that revises a sheet in force (``revises``) is either an adjustment going through the chain or an
    # archived version; the sheet in force is the row without ``revises`` (``objects`` reads only those). Written by
    # ``adjustments.services``.
    revises = models.ForeignKey(
        "self", verbose_name="调整的绩效目标表", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    revision = models.CharField("修订类型", max_length=12, choices=Revision.choices, blank=True, default="", db_default="")
    reason = models.CharField(
        "调整原因", max_length=ADJUSTMENT_REASON_MAX, blank=True, default="", db_default="",
        help_text="目标调整：调整的原因；在用的表和历史版本：使其生效的调整的原因（年初版本为空）",
    )
    adjusted_budget = models.DecimalField("调整后预算数（万元）", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)])
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="调整发起人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    in_force_from = models.DateTimeField("生效时间", null=True, blank=True, help_text="这一版本开始生效的时间（公开或调整通过）")
    in_force_until = models.DateTimeField("失效时间", null=True, blank=True, help_text="历史版本：被调整替代的时间")

    objects = InForceSheets()  # the default: the sheets in force
    documents = SheetDocuments()  # the sheets in force and their adjustments (the approval engine's)
    all_objects = models.Manager()  # every row, archived versions included

    class Meta:
        verbose_name = verbose_name_plural = "项目支出绩效目标表"
        ordering = ["fiscal_year", "agency", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "fiscal_year"], condition=models.Q(revises__isnull=True), name="sheet_unique_per_project_year"
            ),
            # at most one adjustment under way per sheet (a second is refused by name in adjustments.services)
            models.UniqueConstraint(
                fields=["revises"], condition=models.Q(revision="adjustment") & ~models.Q(state="published"),
                name="sheet_one_open_adjustment",
            ),
            models.CheckConstraint(
                condition=models.Q(revises__isnull=True, revision="") | models.Q(revises__isnull=False, revision__in=["adjustment", "version"]),
                name="sheet_revision_kind",
            ),
        ]
        indexes = [
            *approval_indexes("sheet"),  # 待办 (workflow.selectors.review_tasks) by scope, state and waiting time
            # the lists' keyset order (workflow.selectors.SHEET_LIST_ORDER), with and without a state filter
            # (the public list is state = published); project name/code search: trigram indexes, projects 0005
            models.Index(fields=["-fiscal_year", "agency", "position", "id"], name="sheet_list_order"),
            models.Index(fields=["state", "-fiscal_year", "agency", "position", "id"], name="sheet_state_list_order"),
        ]

    def __str__(self):
        return f"{self.display_title}（{self.fiscal_year.year}年）"

    @property
    def display_title(self) -> str:
        return TargetSheet.title_shown(self.title or self.project.name, self.revision)  # (borrowed by monitoring.county's lines)

    @staticmethod
    def title_shown(title: str, revision: str) -> str:
        """How a sheet of ``title`` (its own, else its project's name) is named: an adjustment under way, or an earlier
        version, says so (its Word file too). For a list read as values (``sheets.selectors.sheet_list``)."""
        if revision:
            return f"{title}（目标调整）" if revision == Revision.ADJUSTMENT else f"{title}（调整前）"
        return title

    @property
    def is_adjustment(self) -> bool:
        return self.revision == Revision.ADJUSTMENT

    @property
    def is_archived_version(self) -> bool:
        return self.revision == Revision.VERSION

    @property
    def version_date(self):
        """When the content this row holds came in force: an adjustment's approval, else the publication (None
        before it)."""
        if self.in_force_from is not None:
            return self.in_force_from
        return self.state_since if self.is_published else None

    @staticmethod
    def approval_text_title(title, project_name, code, revision) -> tuple[str, str]:
        return TargetSheet(title=title or project_name, revision=revision).display_title, code

    @classmethod
    def approval_scope_divergences(cls, documents) -> list[tuple[int, str, str]]:
        """``check_workflow``: sheets whose scope keys disagree with their project's (``projects.scope_integrity``)."""
        from projects.scope_integrity import sheet_scope_divergences

        return sheet_scope_divergences(documents)

    def approval_scope_repair(self, codes) -> list[str]:
        """``check_workflow --repair``: the scope keys back to the project's (``projects.scope_integrity``)."""
        from projects.scope_integrity import sheet_scope_repair

        return sheet_scope_repair(self, codes)

    def get_absolute_url(self) -> str:
        from core.html import id_url  # (not at import: the commands' start-up)

        return id_url("sheet_detail")(self.pk)  # reversed once per worker: 待办 writes 50 a page

    @classmethod
    def approval_verdicts(cls, sheets) -> None:
        """Set ``error_count`` and ``warning_count`` (the checker's) on each of a list of sheets (待办's cards)."""
        from projects.selectors import verdicts_load

        verdicts_load(sheets)

    def approval_facts(self) -> list[tuple[str, str | None]]:
        """What a message says about the sheet besides its title (a fact without a value is left out)."""
        facts = [("项目编码", self.project.code), ("预算单位", self.agency.unit_line), ("科室", self.section.name if self.section_id else None)]
        if self.is_adjustment:
            budget = f"{values.format_number(self.adjusted_budget)}万元" if self.adjusted_budget is not None else None
            facts += [("调整原因", self.reason), ("调整后预算数", budget)]
        return facts

    def approval_card_facts(self) -> list[tuple[str, str]]:
        """What a WeCom approval card shows about the sheet (the engine adds who submitted it)."""
        errors, warnings = self.verdict()  # stored with the content; checked here only when unknown
        checked = "体检通过" if not errors and not warnings else (
            (f"{errors} 个错误" if errors else "无错误") + (f"，{warnings} 个提醒" if warnings else "")
        )
        return [
            ("项目", self.project.name), ("项目编码", self.project.code), ("科室", self.section.name if self.section_id else ""),
            ("预算金额", f"{values.format_number(self.budget_total)} 万元"), ("体检", checked),
        ]

    def approval_done_next(self) -> tuple[str, str]:
        """What its people do once it is published, and where: report spending at each checkpoint (an adjustment:
        against the adjusted targets, on the sheet it adjusted)."""
        from django.urls import reverse

        if self.is_adjustment:
            return "调整已生效：公开页面、Word 文件和执行进度均以调整后的目标为准。", reverse("sheet_spending", args=[self.revises_id])
        return "请在各资金支出时间节点填报累计实际支出（执行进度）。", reverse("sheet_spending", args=[self.pk])

    def approval_revoke_refusal(self) -> str | None:
        """Why its publication may not be taken back (撤回公开), or None: an applied adjustment is already the version
        in force, and a sheet an adjustment has changed is changed again only by another adjustment."""
        if self.is_adjustment:
            return "这份调整已生效（已成为在用版本），不能撤回；如需改回，请再提出一次目标调整。"
        if TargetSheet.all_objects.filter(revises=self).exists():
            return "这张表已有目标调整记录，不能撤回公开；如需修改，请走调整流程。"
        return None

    def approval_errors(self) -> list[str]:
        """The checker's errors: a sheet with one is not submitted (nor approved in a batch)."""
        return [f.message for f in self.findings() if f.is_error]

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_published(self) -> bool:
        return self.state == SheetState.PUBLISHED

    def content(self, *, plan=None, indicators=None):
        """The sheet's content as the rule checker reads it (uses prefetched plan/indicators when present).

        ``plan`` (SpendPlan rows) and ``indicators`` (Indicator rows, in order): the rows about to be written,
        instead of the saved ones."""
        from projects.rules import PlanPoint, Row, SheetContent

        return SheetContent(
            budget_total=self.budget_total,
            fiscal_funds=self.fiscal_funds,
            other_funds=self.other_funds,
            plan=self._plan_points(PlanPoint, self.plan.all() if plan is None else plan),
            rows=[
                Row(i.category, i.subcategory, i.name, i.description, i.target_value, i.basis)
                for i in (self.indicators.all() if indicators is None else indicators)
            ],
        )

    def _plan_points(self, point_class, plan) -> list:
        """One point per checkpoint of the year, in date order; a checkpoint the sheet does not plan has None."""
        planned = {p.checkpoint_id: p.cumulative_percent for p in plan}
        checkpoints = sorted(self.fiscal_year.checkpoints.all(), key=lambda cp: cp.date)
        return [point_class(cp.label, planned.get(cp.pk)) for cp in checkpoints]

    def snapshot(self) -> dict:
        """The sheet's content as plain JSON-able data: what a submission freezes and a diff compares."""
        return {
            "project_code": self.project.code,
            "project_name": self.project.name,
            "title": self.display_title,
            "budget_total": str(self.budget_total),
            "fiscal_funds": str(self.fiscal_funds),
            "other_funds": str(self.other_funds),
            "purpose": self.purpose,
            "goal": self.goal,
            "plan": [{"label": p.checkpoint.label, "percent": str(p.cumulative_percent)} for p in self.plan.all()],
            "indicators": [
                {
                    "category": i.category,
                    "subcategory": i.subcategory,
                    "name": i.name,
                    "description": i.description,
                    "target_value": i.target_value,
                    "basis": i.basis,
                }
                for i in self.indicators.all()
            ],
        }

    def findings(self):
        from projects.rules import check_sheet

        return check_sheet(self)

    @property
    def verdict_known(self) -> bool:
        return self.check_errors is not None and self.check_warnings is not None

    def verdict(self) -> tuple[int, int]:
        """(errors, warnings) of the checker: the stored counts, or the checker's when they are unknown
        (then the content is read: ``projects.selectors.verdicts_load`` reads a list's unknown rows at once)."""
        from projects.rules import verdict

        if self.verdict_known:
            return self.check_errors, self.check_warnings
        return verdict(self)


class SheetContentRow(models.Model):
    """A plan or indicator row. Written one at a time (not by ``projects.services.sheet_content_replace``, which
    writes a sheet's rows in bulk with the verdict), it leaves the sheet's stored verdict unknown until its content
    is next written."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._verdict_unknown()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._verdict_unknown()
        return result

    def _verdict_unknown(self) -> None:
        TargetSheet.objects.filter(pk=self.sheet_id, check_errors__isnull=False).update(check_errors=None, check_warnings=None)


class SpendPlan(SheetContentRow):
    """资金支出计划: the cumulative % of the budget a sheet plans to spend by a checkpoint."""

    sheet = models.ForeignKey(TargetSheet, on_delete=models.CASCADE, related_name="plan")
    checkpoint = models.ForeignKey(Checkpoint, verbose_name="时间节点", on_delete=models.PROTECT, related_name="+")
    cumulative_percent = models.DecimalField("累计支出进度（%）", max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "资金支出计划"
        ordering = ["checkpoint__date"]
        constraints = [models.UniqueConstraint(fields=["sheet", "checkpoint"], name="plan_unique_checkpoint")]

    def __str__(self):
        return f"{self.checkpoint.label} {values.format_number(self.cumulative_percent)}%"



class Indicator(SheetContentRow):
    """One row of the three-level indicator table (一级/二级/三级指标)."""

    sheet = models.ForeignKey(TargetSheet, on_delete=models.CASCADE, related_name="indicators")
    order = models.PositiveSmallIntegerField("顺序", default=0)
    category = models.CharField("一级指标", max_length=50)
    subcategory = models.CharField("二级指标", max_length=50)
    name = models.CharField("三级指标", max_length=200)
    description = models.TextField("绩效指标描述", blank=True)
    target_value = models.CharField("指标值", max_length=100, blank=True)
    value_kind = models.CharField(
        "指标值类型", max_length=20, choices=list(values.KIND_LABELS.items()), default=values.UNPARSED, editable=False
    )
    value_operator = models.CharField("比较符", max_length=2, blank=True, editable=False)
    value_number = models.DecimalField("数值", max_digits=20, decimal_places=4, null=True, blank=True, editable=False)
    value_unit = models.CharField("单位", max_length=20, blank=True, editable=False)
    basis = models.TextField("指标值确定依据", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "绩效指标"
        ordering = ["sheet", "order", "id"]

    def __str__(self):
        return f"{self.category}/{self.subcategory}/{self.name}：{self.target_value}"

    def save(self, *args, **kwargs):
        self.apply_parsed_value()
        super().save(*args, **kwargs)

    def apply_parsed_value(self) -> None:
        parsed = values.parse_target_value(self.target_value)
        self.value_kind = parsed.kind
        self.value_operator = parsed.operator
        self.value_number = parsed.number
        self.value_unit = parsed.unit


class DepartmentGoals(Approvable):
    """部门整体绩效目标: an agency's goals for a year, each part as ordered paragraphs (one per line).

    A document on the approval engine (issue 22 item 3): the agency's 局领导 drafts and submits them, finance reviews
    and publishes them with the sheets (its chain, leader → finance, is attached by ``sheets.apps``: this layer does
    not import the engine)."""

    approval_label = "部门整体绩效目标"
    approval_measure = "份"
    approval_this = "这份部门整体绩效目标"
    approval_related = ("agency", "fiscal_year")
    approval_title_related = ("agency", "fiscal_year")
    approval_drafts_order = ("-state", "id")
    approval_batch = False  # read and approved one at a time
    history_field = "goals"
    approval_text_fields = ("agency__name", "agency__code", "fiscal_year__year")  # a 催办 names it by these

    @staticmethod
    def approval_text_title(agency_name, agency_code, year) -> tuple[str, str, str]:
        """As ``display_title`` says it, no code of its own, and its page (by agency and year, not by id)."""
        from django.urls import reverse

        return f"{agency_name}{year}年部门整体绩效目标", "", reverse("goals_edit", args=[agency_code, year])

    agency = models.ForeignKey(Agency, verbose_name="预算单位", on_delete=models.CASCADE, related_name="goals")
    fiscal_year = models.ForeignKey(FiscalYear, verbose_name="预算年度", on_delete=models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=20, choices=SheetState.choices, default=SheetState.DRAFT, db_index=True)
    overall = models.TextField("总体绩效目标", blank=True, help_text="每段一行")
    itemized = models.TextField("分项绩效目标", blank=True, help_text="每段一行")
    safeguards = models.TextField("工作保障措施", blank=True, help_text="每段一行")
    updated = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="更新人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "部门整体绩效目标"
        constraints = [models.UniqueConstraint(fields=["agency", "fiscal_year"], name="goals_unique_per_agency_year")]
        indexes = approval_indexes("goals")

    def __str__(self):
        return f"{self.agency.name} {self.fiscal_year.year}年部门整体绩效目标"

    # ------------------------------------------------------------ the engine's hooks (workflow.documents.Document)

    @property
    def display_title(self) -> str:
        return f"{self.agency.name}{self.fiscal_year.year}年部门整体绩效目标"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("goals_edit", args=[self.agency.code, self.fiscal_year.year])

    def approval_facts(self) -> list[tuple[str, str | None]]:
        return [("预算单位", self.agency.unit_line), ("年度", f"{self.fiscal_year.year}年")]

    def approval_card_facts(self) -> list[tuple[str, str]]:
        return [("单位", self.agency.name), ("年度", f"{self.fiscal_year.year}年"),
                ("总体绩效目标", (self.paragraphs(self.overall) or ["—"])[0])]

    def approval_done_next(self) -> tuple[str, str]:
        return "部门整体绩效目标已与绩效目标表一同公开，无需再办理。", self.get_absolute_url()

    def approval_errors(self) -> list[str]:
        """A submission needs the 总体绩效目标 at least."""
        return [] if self.paragraphs(self.overall) else ["请填写总体绩效目标。"]

    @classmethod
    def approval_verdicts(cls, documents) -> None:
        for document in documents:
            document.error_count, document.warning_count = len(document.approval_errors()), 0

    def snapshot(self) -> dict:
        return {name: self.paragraphs(getattr(self, name)) for name in ("overall", "itemized", "safeguards")}

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_published(self) -> bool:
        return self.state == SheetState.PUBLISHED

    @staticmethod
    def paragraphs(text: str) -> list[str]:
        return [line.strip() for line in (text or "").splitlines() if line.strip()]
