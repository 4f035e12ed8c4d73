"""Writes: copy a rule pack; switch a year to a pack (and its spending checkpoints to the pack's points)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from core import errors
from projects.models import Checkpoint, FiscalYear, SpendPlan

from monitoring import selectors
from monitoring.models import RulePack, YearRulePack

COPY_SUFFIX = "（副本）"


def _refusal(problem: ValidationError) -> errors.AppError:
    return errors.invalid("；".join(problem.messages))


@transaction.atomic
def rule_pack_copy(*, pack: RulePack) -> RulePack:
    """A copy of ``pack`` to change (not shipped, not the default): ``<name>（副本）`` / ``<code>-copy``, numbered
    when taken."""
    codes = set(RulePack.objects.values_list("code", flat=True))
    names = set(RulePack.objects.values_list("name", flat=True))
    number = 1
    while True:
        tail = "" if number == 1 else f"-{number}"
        code = f"{pack.code[:40 - 5 - len(tail)]}-copy{tail}"
        name = f"{pack.name}{COPY_SUFFIX}{'' if number == 1 else number}"
        if code not in codes and name not in names:
            break
        number += 1
    copy = RulePack.objects.get(pk=pack.pk)
    copy.pk = None
    copy.code, copy.name, copy.is_default, copy.shipped, copy.copied_from = code, name, False, False, pack
    try:
        copy.full_clean()
    except ValidationError as problem:
        raise _refusal(problem) from None
    copy.save()
    return copy


def _points_text(points) -> str:
    return "、".join(point.label for point in points)


@transaction.atomic
def year_pack_use(*, year: int, code: str, user=None) -> YearRulePack:
    """Switch ``year`` to the pack ``code`` and record the choice.

    The year's spending checkpoints follow the pack's points (dates and expected cumulative %): when they differ,
    they are replaced, which is refused while any sheet of the year has a spending plan (or a spending report) on
    the old points. A year that does not exist yet is created with the pack's points."""
    pack = selectors.pack_by_code(code)
    fiscal_year, _created = FiscalYear.objects.select_for_update().get_or_create(year=year)
    points = pack.points_in(year)
    wanted = [(point.date, point.expected) for point in points]
    current = list(Checkpoint.objects.filter(fiscal_year=fiscal_year).order_by("date"))
    changed = [(cp.date, cp.planned_percent) for cp in current] != wanted
    if changed:
        planned = SpendPlan.objects.filter(checkpoint__fiscal_year=fiscal_year).values("sheet").distinct().count()
        old = "、".join(cp.label for cp in current)
        if planned:
            raise errors.conflict(
                f"{year}年已有 {planned} 张绩效目标表按原时间节点（{old}）编制了资金支出计划，"
                f"不能改用“{pack.name}”的监控时点（{_points_text(points)}）：请为该年度选用时间节点相同的规则包。",
                code="checkpoints_in_use",
            )
        try:
            Checkpoint.objects.filter(fiscal_year=fiscal_year).delete()
        except ProtectedError:
            raise errors.conflict(
                f"{year}年已有按原时间节点（{old}）填报的执行进度，不能改用“{pack.name}”的监控时点（{_points_text(points)}）。",
                code="checkpoints_in_use",
            ) from None
        for point in points:  # one by one: each save tells the checker the year's plan check changed
            Checkpoint.objects.create(fiscal_year=fiscal_year, date=point.date, planned_percent=point.expected)
    return YearRulePack.objects.create(fiscal_year=fiscal_year, pack=pack, chosen_by=user, checkpoints_changed=changed)
