"""指标库: indicators to write with, built from every sheet in the system plus a curated common set (共性指标).

An ``Entry`` is one three-level indicator (一级/二级 category, 三级 name) with what a drafter copies (description,
operator, unit, a typical value). ``Usage`` rows say which sheet (project, year) used it with which value; they are
derived data, rebuilt by ``library.services`` from the indicator rows. Curation (recommend, merge, retire) is
recorded in ``CurationEvent``.

Nothing unpublished leaks through the library: an entry of the sheets (个性指标) is shown only to a reader who may
see a sheet that uses its name (``library.selectors.entries_visible``); what it stores to show everyone (description,
operator, unit, reference value, use count) comes from published sheets only; values of the other sheets are shown
from the usage rows of sheets the reader may see. The shipped common set is everyone's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    COMMON = "common", "共性指标"
    SPECIFIC = "specific", "个性指标"


SOURCE_SHEETS = "系统内绩效目标表"
# what an entry shows a drafter to copy; for an entry of the sheets, from its latest published row
DESCRIBED = ("description", "value_operator", "value_unit", "example_value")


class Entry(models.Model):
    category = models.CharField("一级指标", max_length=50)
    subcategory = models.CharField("二级指标", max_length=50)
    name = models.CharField("三级指标", max_length=200)
    description = models.TextField("绩效指标描述", blank=True)
    value_operator = models.CharField("比较符", max_length=2, blank=True)
    value_unit = models.CharField("单位", max_length=20, blank=True)
    example_value = models.CharField("参考指标值", max_length=100, blank=True)
    initials = models.CharField("拼音首字母", max_length=200, blank=True, db_index=True, editable=False)
    kind = models.CharField("类别", max_length=10, choices=Kind.choices, default=Kind.SPECIFIC)
    source = models.CharField("来源", max_length=300, default=SOURCE_SHEETS)
    recommended = models.BooleanField("推荐", default=False)
    retired = models.BooleanField("已停用", default=False)
    merged_into = models.ForeignKey(
        "self", verbose_name="合并到", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged",
        help_text="重复条目合并后，本条目停用，其使用记录归入保留的条目",
    )
    use_count = models.PositiveIntegerField(
        "使用次数", default=0, editable=False, help_text="使用它的已公开绩效目标表张数（含并入的重复条目）"
    )
    # the published sheets that use this very name: everyone may see the entry when there is one
    published_name_uses = models.PositiveIntegerField("已公开表中同名使用次数", default=0, editable=False)
    created = models.DateTimeField("创建时间", auto_now_add=True)
    updated = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "指标库条目"
        ordering = ["category", "subcategory", "-recommended", "-use_count", "name"]
        constraints = [
            models.UniqueConstraint(fields=["category", "subcategory", "name"], name="library_entry_unique_name"),
        ]
        indexes = [
            models.Index(fields=["category", "subcategory", "retired"], name="library_entry_group"),
            # the type-ahead's and /library/'s ranking (library.selectors._ranked): the first rows of a category
            # without a sort; trigram indexes on the matched text are PostgreSQL's only (migration 0004)
            models.Index(
                fields=["category", "subcategory", "-recommended", "kind", "-use_count", "name", "id"],
                condition=models.Q(retired=False), name="library_entry_rank",
            ),
            models.Index(
                fields=["-recommended", "kind", "-use_count", "name", "id"], condition=models.Q(retired=False),
                name="library_entry_rank_all",
            ),
        ]

    def __str__(self):
        return f"{self.category}/{self.subcategory}/{self.name}"

    def save(self, *args, **kwargs):
        from library.pinyin import initials

        self.initials = initials(self.name)
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return not self.retired


class Usage(models.Model):
    """One indicator row of one sheet that uses the entry (derived: rebuilt from ``projects.Indicator``).

    ``entry`` is where the row counts (the entry kept, for a row named like a merged duplicate); ``named_entry`` is
    the entry of the row's own name, which a reader may see when they may see the sheet. ``published``: the sheet was
    published when the row was written (rewritten when a sheet is published or leaves 已公开)."""

    entry = models.ForeignKey(Entry, verbose_name="指标库条目", on_delete=models.CASCADE, related_name="usages")
    named_entry = models.ForeignKey(
        Entry, verbose_name="同名条目", null=True, on_delete=models.CASCADE, related_name="+", db_index=False,  # library_usage_named
    )
    sheet = models.ForeignKey("projects.TargetSheet", verbose_name="绩效目标表", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    target_value = models.CharField("指标值", max_length=100, blank=True)
    published = models.BooleanField("已公开", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "指标使用记录"
        ordering = ["-year", "sheet_id"]
        indexes = [
            # an entry's latest uses first (library.selectors.usages_visible reads the top few of each)
            models.Index(fields=["entry", "-year", "sheet"], name="library_usage_entry_year"),
            models.Index(fields=["sheet"], name="library_usage_sheet"),
            # may the reader see an entry: a sheet they may see that uses its name (library.selectors.entries_visible)
            models.Index(fields=["named_entry", "sheet"], name="library_usage_named"),
        ]

    def __str__(self):
        return f"{self.entry} {self.year} {self.target_value}"


class CurationEvent(models.Model):
    class Action(models.TextChoices):
        RECOMMEND = "recommend", "设为推荐"
        UNRECOMMEND = "unrecommend", "取消推荐"
        MERGE = "merge", "合并重复条目"
        RETIRE = "retire", "停用"
        RESTORE = "restore", "恢复使用"

    entry = models.ForeignKey(Entry, verbose_name="条目", on_delete=models.CASCADE, related_name="curation_events")
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    other = models.ForeignKey(Entry, verbose_name="保留的条目", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField("说明", max_length=500, blank=True)
    created = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "指标库维护记录"
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.entry}"
