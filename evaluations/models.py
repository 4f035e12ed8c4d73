"""绩效自评 (issue 22): a published sheet's year-end self-evaluation, the second document on the approval engine.

``SelfEvaluation`` inherits the approval columns (``projects.approvable.Approvable``) and answers the engine's
``workflow.documents.Document`` hooks (label, title, URL, content check, snapshot); its rows (``EvaluationRow``) are
the sheet's indicators as the evaluator filled them. Scores, total and grade are written only by
``evaluations.services`` (recomputed by ``evaluations.scorecard`` from what was typed, on every save): a row's
``score`` is stored for lists, never taken from a client for a quantitative row.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse

from projects.approvable import Approvable, approval_indexes
from projects.models import MONEY, EDITABLE_STATES, SheetState, TargetSheet

TEXT_MAX = 200  # 评价结论, 存在问题, 改进措施, 未完成原因分析 (the 自评表's boxes, ≤ 200 characters)
TEXTS = (("conclusion", "评价结论"), ("problems", "存在问题"), ("improvements", "改进措施"))
SCORE = {"max_digits": 6, "decimal_places": 2}


class ScoredDocument(Approvable):
    """What a sheet's self-evaluation and the 部门整体自评 share: the budget line, the three texts, the scores written
    with the content by ``evaluations.services`` (None until every value is typed; recomputed by
    ``evaluations.scorecard``), and the engine's hooks that read them. Its rows are ``rows``."""

    state = models.CharField("状态", max_length=20, choices=SheetState.choices, default=SheetState.DRAFT, db_index=True)
    budget = models.DecimalField("年初预算数（万元）", **MONEY, validators=[MinValueValidator(0)])
    adjusted_budget = models.DecimalField("调整后预算数（万元）", **MONEY, validators=[MinValueValidator(0)])
    spent = models.DecimalField("执行数（万元）", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)])
    spent_reason = models.CharField("执行率偏低原因", max_length=TEXT_MAX, blank=True, help_text="执行率低于 90% 时必填")
    conclusion = models.CharField("评价结论", max_length=TEXT_MAX, blank=True)
    problems = models.CharField("存在问题", max_length=TEXT_MAX, blank=True)
    improvements = models.CharField("改进措施", max_length=TEXT_MAX, blank=True)
    # written with the content by ``evaluations.services`` (None until every value is typed)
    budget_score = models.DecimalField("预算执行得分", **SCORE, null=True, blank=True, editable=False)
    total = models.DecimalField("总分", **SCORE, null=True, blank=True, editable=False)
    grade = models.CharField("等级", max_length=2, blank=True, editable=False)
    check_errors = models.PositiveSmallIntegerField("待补充项数", default=0, editable=False)
    created = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        abstract = True

    def approval_errors(self) -> list[str]:
        from evaluations.scorecard import content_errors

        return content_errors(self)

    @classmethod
    def approval_verdicts(cls, documents) -> None:
        for document in documents:
            document.error_count, document.warning_count = document.check_errors, 0

    def scored_snapshot(self) -> dict:
        """The scored content as plain JSON-able data (the document adds what it evaluates)."""
        return {
            "adjusted_budget": str(self.adjusted_budget),
            "spent": None if self.spent is None else str(self.spent), "spent_reason": self.spent_reason,
            **{name: getattr(self, name) for name, _label in TEXTS},
            "total": None if self.total is None else str(self.total), "grade": self.grade,
            "rows": [row.snapshot() for row in self.rows.all()],
        }

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    def texts(self) -> list[tuple[str, str]]:
        """(label, value) of 评价结论, 存在问题, 改进措施."""
        return [(label, getattr(self, name)) for name, label in TEXTS]



# what 单位自评总览's figures read of each self-evaluation: key columns of ``evaluation_agency_year`` after (agency, year)
# (an index-only scan; key columns rather than INCLUDE, which SQLite lacks)
AGENCY_FIGURES = ["state", "adjusted_budget", "spent", "budget_score", "total", "grade"]


class SelfEvaluation(ScoredDocument):
    """项目支出绩效自评表: one published sheet's self-evaluation (the version in force), drafted by its section."""

    approval_label = "绩效自评表"
    approval_measure = "张"
    approval_this = "这张自评表"
    approval_related = ("sheet__project", "sheet__fiscal_year", "agency", "section")
    approval_title_related = ("sheet__project", "sheet__fiscal_year")
    history_field = "evaluation"
    approval_detail_route = "evaluation_detail"
    approval_text_fields = ("sheet__title", "sheet__project__name", "sheet__project__code", "sheet__revision", "sheet__fiscal_year__year")
    approval_drafts_order = ("-state", "id")  # 待办: returned ones first
    approval_batch = False  # approved one at a time, its scores read (待办's batch carries sheets)

    sheet = models.OneToOneField(
        "projects.TargetSheet", verbose_name="绩效目标表", on_delete=models.PROTECT, related_name="evaluation"
    )
    # no index of its own: the agency's indexes lead with it (``evaluation_agency_state``, ``evaluation_agency_year``),
    # and the planner would otherwise read the agency's evaluations of every year through it and filter the year
    agency = models.ForeignKey(
        "projects.Agency", verbose_name="预算单位", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # the sheet's year, copied at creation (a sheet never changes year): the agency's view reads its figures from
    # ``evaluation_agency_year`` alone, without joining the sheets
    fiscal_year = models.ForeignKey(
        "projects.FiscalYear", verbose_name="预算年度", on_delete=models.PROTECT, related_name="+", editable=False,
        db_index=False,
    )

    class Meta:
        verbose_name = verbose_name_plural = "绩效自评表"
        ordering = ["-created", "-id"]
        indexes = [
            *approval_indexes("evaluation"),
            models.Index(fields=["agency", "fiscal_year", *AGENCY_FIGURES], name="evaluation_agency_year"),
        ]

    def __str__(self):
        return self.display_title

    # ------------------------------------------------------------ the engine's hooks (workflow.documents.Document)

    @property
    def display_title(self) -> str:
        return f"{self.sheet.display_title}（{self.sheet.fiscal_year.year}年自评）"

    def get_absolute_url(self) -> str:
        return reverse("evaluation_detail", args=[self.pk])

    @staticmethod
    def approval_text_title(title, project_name, code, revision, year) -> tuple[str, str]:
        """As ``display_title`` says it, from values (a province-wide 催办 builds no model)."""
        return f"{TargetSheet(title=title or project_name, revision=revision).display_title}（{year}年自评）", code

    def approval_facts(self) -> list[tuple[str, str | None]]:
        return [
            ("项目编码", self.sheet.project.code), ("预算单位", self.agency.unit_line),
            ("科室", self.section.name if self.section_id else None),
            ("自评得分", f"{self.total}（{self.grade}）" if self.total is not None else None),
        ]

    def approval_card_facts(self) -> list[tuple[str, str]]:
        return [
            ("项目", self.sheet.project.name), ("科室", self.section.name if self.section_id else ""),
            ("调整后预算数", f"{self.adjusted_budget} 万元"),
            ("自评得分", f"{self.total} 分，{self.grade}" if self.total is not None else "未完成评分"),
        ]

    def approval_publication_pending(self) -> str | None:
        """Approved by finance but waiting for the publication date finance set (待公开): when it becomes public."""
        from evaluations.selectors import public_from

        waiting = public_from(self)
        return f"将于 {waiting:%Y-%m-%d} 与决算一同公开" if waiting is not None else None

    def approval_done_next(self) -> tuple[str, str]:
        from evaluations.selectors import public_from

        waiting = public_from(self)
        if waiting is not None:
            return f"自评结果待公开，将于 {waiting:%Y-%m-%d} 与决算一同公开，无需再办理。", self.get_absolute_url()
        return "自评结果已公开，无需再办理。", self.get_absolute_url()

    def snapshot(self) -> dict:
        return {"sheet": self.sheet_id, **self.scored_snapshot()}


class EvaluationRow(models.Model):
    """One indicator of the 自评表: the sheet's indicator (copied: 一级/二级/三级, 指标值 in force), its weight, the
    actual value as typed, the level and score for a qualitative row, the score and 未完成原因分析."""

    evaluation = models.ForeignKey(SelfEvaluation, on_delete=models.CASCADE, related_name="rows")
    indicator = models.ForeignKey(
        "projects.Indicator", verbose_name="绩效指标", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.PositiveSmallIntegerField("顺序", default=0)
    category = models.CharField("一级指标", max_length=50)
    subcategory = models.CharField("二级指标", max_length=50, blank=True)
    name = models.CharField("三级指标", max_length=200)
    target = models.CharField("指标值", max_length=100)
    original_target = models.CharField("年初指标值", max_length=100, blank=True)
    weight = models.DecimalField("分值", **SCORE, null=True, blank=True, validators=[MinValueValidator(0)])
    actual = models.CharField("实际完成值", max_length=100, blank=True)
    level = models.CharField("评价等级", max_length=10, blank=True)
    score = models.DecimalField("得分", **SCORE, null=True, blank=True)
    reason = models.CharField("未完成原因分析", max_length=TEXT_MAX, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "自评指标"
        ordering = ["evaluation", "order", "id"]

    def __str__(self):
        return f"{self.name}：{self.actual or '—'}"

    def snapshot(self) -> dict:
        return {
            "category": self.category, "subcategory": self.subcategory, "name": self.name, "target": self.target,
            "weight": None if self.weight is None else str(self.weight), "actual": self.actual, "level": self.level,
            "score": None if self.score is None else str(self.score), "reason": self.reason,
        }


# text limits checked at every door (service, API, page)
TEXT_SPECS = {name: (label, TEXT_MAX, True) for name, label in (*TEXTS, ("spent_reason", "执行率偏低原因"))}
ROW_TEXT_SPECS = {"actual": ("实际完成值", 100, False), "reason": ("未完成原因分析", TEXT_MAX, True)}


class Publication(models.Model):
    """公开日期: the day finance publishes an agency's self-evaluations of a year (with its final accounts, 决算).

    Without one, finance's approval publishes a self-evaluation at once. With one, approved self-evaluations of that
    agency and year wait as 待公开 until the date and are public from it (read on every request: nothing to run on the
    day). Set by the agency's finance reviewers only (``evaluations.services.publication_set``)."""

    agency = models.ForeignKey("projects.Agency", verbose_name="预算单位", on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.ForeignKey("projects.FiscalYear", verbose_name="预算年度", on_delete=models.CASCADE, related_name="+")
    public_from = models.DateField("公开日期")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated = models.DateTimeField("设置时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "自评结果公开日期"
        constraints = [models.UniqueConstraint(fields=["agency", "fiscal_year"], name="evaluation_publication_once")]

    def __str__(self):
        return f"{self.agency.unit_line} {self.fiscal_year.year}年：{self.public_from:%Y-%m-%d}"


class Deadline(models.Model):
    """自评截止日期: the day an agency's self-evaluations of a year are to be submitted, set by its finance reviewers.

    The daily reminders (``notifications.evaluation_dues.evaluation_due_on``) remind the section's 经办人 of every published
    sheet of that agency and year without a submitted self-evaluation 7 days and 1 day before it, and warn them and
    their section heads on the first working day after it, when each finance reviewer also gets one digest of the
    agencies they review (how many sheets are still not submitted, with each agency's view). Set on the agency's view (``evaluations.services.deadline_set``)."""

    agency = models.ForeignKey("projects.Agency", verbose_name="预算单位", on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.ForeignKey("projects.FiscalYear", verbose_name="预算年度", on_delete=models.CASCADE, related_name="+")
    due = models.DateField("截止日期", db_index=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated = models.DateTimeField("设置时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "自评截止日期"
        constraints = [models.UniqueConstraint(fields=["agency", "fiscal_year"], name="evaluation_deadline_once")]

    def __str__(self):
        return f"{self.agency.unit_line} {self.fiscal_year.year}年：{self.due:%Y-%m-%d}"


DEPARTMENT_TARGET = "达成年度目标"  # a goal's 指标值 until the evaluator quantifies it (a qualitative row)


class DepartmentEvaluation(ScoredDocument):
    """部门整体自评表: an agency's year-end self-evaluation over its department-wide goals (部门整体绩效目标), scored the
    same way as a sheet's (``evaluations.scorecard``): the agency's budget line (its published sheets' budgets and
    their 执行数) and one row per 分项绩效目标 (or the 总体绩效目标 when there are none), weights totalling 90.

    A document on the approval engine: the agency's 局领导 drafts and submits it, finance approves (publishes) or
    returns it (its chain, ``evaluations.apps``)."""

    approval_label = "部门整体自评表"
    approval_measure = "份"
    approval_this = "这份部门整体自评表"
    approval_related = ("agency", "fiscal_year")
    approval_title_related = ("agency", "fiscal_year")
    approval_drafts_order = ("-state", "id")
    approval_batch = False
    history_field = "department_evaluation"
    approval_detail_route = "department_evaluation_detail"
    approval_text_fields = ("agency__name", "fiscal_year__year")

    fiscal_year = models.ForeignKey("projects.FiscalYear", verbose_name="预算年度", on_delete=models.PROTECT, related_name="+")
    goals = models.ForeignKey(
        "projects.DepartmentGoals", verbose_name="部门整体绩效目标", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "部门整体自评表"
        ordering = ["-created", "-id"]
        indexes = approval_indexes("dept_evaluation")
        constraints = [models.UniqueConstraint(fields=["agency", "fiscal_year"], name="department_evaluation_once")]

    def __str__(self):
        return self.display_title

    @property
    def display_title(self) -> str:
        return f"{self.agency.name}{self.fiscal_year.year}年部门整体自评"

    def get_absolute_url(self) -> str:
        return reverse("department_evaluation_detail", args=[self.pk])

    @staticmethod
    def approval_text_title(agency_name, year) -> tuple[str, str]:
        return f"{agency_name}{year}年部门整体自评", ""

    def approval_facts(self) -> list[tuple[str, str | None]]:
        return [
            ("预算单位", self.agency.unit_line), ("年度", f"{self.fiscal_year.year}年"),
            ("自评得分", f"{self.total}（{self.grade}）" if self.total is not None else None),
        ]

    def approval_card_facts(self) -> list[tuple[str, str]]:
        return [
            ("单位", self.agency.name), ("调整后预算数", f"{self.adjusted_budget} 万元"),
            ("自评得分", f"{self.total} 分，{self.grade}" if self.total is not None else "未完成评分"),
        ]

    def approval_done_next(self) -> tuple[str, str]:
        return "部门整体自评结果已公开，无需再办理。", self.get_absolute_url()

    def snapshot(self) -> dict:
        return {"goals": self.goals_id, **self.scored_snapshot()}


class DepartmentRow(models.Model):
    """One department-wide goal of the 部门整体自评表: the goal as written (一级 总体/分项), its 指标值 (qualitative
    ``DEPARTMENT_TARGET`` unless the evaluator quantifies it, e.g. ``≥10000件``), weight, actual value, level, score and
    未完成原因分析 — scored as a sheet's indicator is."""

    evaluation = models.ForeignKey(DepartmentEvaluation, on_delete=models.CASCADE, related_name="rows")
    order = models.PositiveSmallIntegerField("顺序", default=0)
    category = models.CharField("类别", max_length=50)
    name = models.TextField("绩效目标")
    target = models.CharField("指标值", max_length=100, default=DEPARTMENT_TARGET)
    weight = models.DecimalField("分值", **SCORE, null=True, blank=True, validators=[MinValueValidator(0)])
    actual = models.CharField("实际完成值", max_length=100, blank=True)
    level = models.CharField("评价等级", max_length=10, blank=True)
    score = models.DecimalField("得分", **SCORE, null=True, blank=True)
    reason = models.CharField("未完成原因分析", max_length=TEXT_MAX, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "部门整体自评目标"
        ordering = ["evaluation", "order", "id"]

    def __str__(self):
        return f"{self.name[:30]}：{self.actual or self.level or '—'}"

    subcategory = original_target = ""  # what a sheet's row has besides (``scorecard.rows_of`` reads them)

    def snapshot(self) -> dict:
        return {
            "category": self.category, "name": self.name, "target": self.target,
            "weight": None if self.weight is None else str(self.weight), "actual": self.actual, "level": self.level,
            "score": None if self.score is None else str(self.score), "reason": self.reason,
        }


DEPARTMENT_ROW_TEXT_SPECS = {**ROW_TEXT_SPECS, "target": ("指标值", 100, False)}
