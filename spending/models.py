"""执行进度: what a published sheet actually spent by each checkpoint."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from projects import validation, values
from projects.models import MONEY

# 进度说明: as long as a review comment (COMMENT_MAX), checked at every door (service, page form, API, admin)
EXPLANATION = ("进度说明", validation.COMMENT_MAX, True)


class SpendReport(models.Model):
    """执行进度: the actual cumulative spend of a published sheet by a checkpoint, reported by its section's staff.

    One report per sheet and checkpoint; a later report for the same checkpoint replaces the figures.
    """

    sheet = models.ForeignKey("projects.TargetSheet", verbose_name="绩效目标表", on_delete=models.CASCADE, related_name="spend_reports")
    checkpoint = models.ForeignKey("projects.Checkpoint", verbose_name="时间节点", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField("累计实际支出（万元）", **MONEY, validators=[MinValueValidator(0)])
    explanation = models.TextField(
        "进度说明", blank=True, validators=[validation.validator(EXPLANATION)], help_text="实际支出进度落后于计划时必填"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField("填报时间")

    class Meta:
        db_table = "projects_spendreport"  # the table it had when spending was part of projects
        verbose_name = verbose_name_plural = "资金支出执行进度"
        ordering = ["sheet", "checkpoint__date"]
        constraints = [models.UniqueConstraint(fields=["sheet", "checkpoint"], name="spend_report_unique_checkpoint")]

    def __str__(self):
        return f"{self.sheet.display_title} {self.checkpoint.label} {values.format_number(self.amount)}万元"

    @property
    def actual_percent(self) -> Decimal | None:
        """Cumulative spend as a % of the sheet's budget (two decimals); None when the budget is 0."""
        if not self.sheet.budget_total:
            return None
        return (self.amount / self.sheet.budget_total * 100).quantize(Decimal("0.01"))
