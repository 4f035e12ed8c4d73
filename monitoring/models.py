"""监控规则包: a region's monitoring points, thresholds, colours and 处置 deadlines, as data (issue 21)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction

from monitoring import grading, packs


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
