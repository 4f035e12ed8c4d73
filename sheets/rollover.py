"""Next year's sheets from this year's (由上年结转): each project's published sheet of one year becomes a draft of
another year, with its indicators and their basis, purpose and goal kept and the money left to be filled.

All of an agency's (or a section's) sheets are rolled over in one transaction: a sheet that cannot be (the
project already has a sheet of that year, or last year's sheet is not published) is listed as refused and the
others are created; a dry run reports the same and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from core import errors
from people import roles
from projects.docx.data import IndicatorData
from projects.models import Agency, FiscalYear, Section, SheetState, TargetSheet
from projects.services import sheet_content_replace
from workflow.models import Action, Event


@dataclass
class RolloverResult:
    from_year: int
    to_year: int
    created: list[TargetSheet] = field(default_factory=list)  # the new drafts
    refused: list[tuple[TargetSheet, str]] = field(default_factory=list)  # last year's sheet and why it was not rolled over
    dry_run: bool = False

    def summary(self) -> str:
        verb = "将结转" if self.dry_run else "已结转"
        text = f"{self.from_year}年 → {self.to_year}年：{verb} {len(self.created)} 张，未结转 {len(self.refused)} 张。"
        return "\n".join([text, *(reason for _, reason in self.refused)])


class _DryRun(Exception):
    pass


def ensure_may_roll_over(user, *, agency: Agency, section: Section | None) -> None:
    """A drafter rolls over their own section's sheets; an agency's whole set is for superusers (and the command)."""
    if user is None or user.is_superuser:
        return
    if section is None:
        raise errors.forbidden("请选择要结转的科室：经办人只能结转本科室的绩效目标表。")
    if section.agency_id != agency.pk or not roles.has_role(user, roles.Role.STAFF, section):
        raise errors.forbidden(f"只有“{section.name}”的经办人可以结转本科室的绩效目标表。")


def sheets_rollover(
    *, agency: Agency, from_year: int, to_year: int, user=None, section: Section | None = None, dry_run: bool = False
) -> RolloverResult:
    ensure_may_roll_over(user, agency=agency, section=section)
    if to_year <= from_year:
        raise errors.invalid(f"结转的目标年度（{to_year}）必须晚于来源年度（{from_year}）。")
    result = RolloverResult(from_year=from_year, to_year=to_year, dry_run=dry_run)
    try:
        with transaction.atomic():
            _rollover(agency=agency, from_year=from_year, to_year=to_year, user=user, section=section, result=result)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


def _rollover(*, agency, from_year, to_year, user, section, result: RolloverResult) -> None:
    sources = (
        TargetSheet.objects.filter(agency=agency, fiscal_year__year=from_year)
        .select_related("project", "fiscal_year", "section")
        .prefetch_related("indicators")
        .order_by("position", "id")
    )
    if section is not None:
        sources = sources.filter(section=section)
    sources = list(sources)
    if not sources:
        where = f"“{section.name}”" if section is not None else f"“{agency.unit_line}”"
        raise errors.invalid(f"{where}没有{from_year}年的绩效目标表，无可结转。")
    target_year = FiscalYear.get_or_create_with_defaults(to_year)
    existing = {
        s.project_id: s
        for s in TargetSheet.objects.select_for_update(of=("self",), no_key=True).filter(
            project_id__in=[s.project_id for s in sources], fiscal_year=target_year
        )
    }
    checkpoints = list(target_year.checkpoints.all())
    actor = user if (user is not None and user.is_authenticated) else None
    for source in sources:
        if source.state != SheetState.PUBLISHED:
            result.refused.append((source, f"“{source.display_title}”{from_year}年的表处于“{source.get_state_display()}”状态，尚未公开，未结转。"))
            continue
        if source.project_id in existing:
            other = existing[source.project_id]
            result.refused.append((source, f"“{source.display_title}”{to_year}年的绩效目标表已存在（{other.get_state_display()}），未结转。"))
            continue
        sheet = TargetSheet(
            project=source.project, fiscal_year=target_year, agency=agency, section=source.project.section,
            position=source.position, title=source.title, state=SheetState.DRAFT, rolled_over_from=source,
        )
        sheet_content_replace(
            sheet=sheet, budget_total=Decimal("0.00"), fiscal_funds=Decimal("0.00"), other_funds=Decimal("0.00"),
            purpose=source.purpose, goal=source.goal,
            plan={cp: cp.planned_percent for cp in checkpoints},
            indicators=[
                IndicatorData(i.category, i.subcategory, i.name, i.description, i.target_value, i.basis)
                for i in source.indicators.all()
            ],
            user=user,
        )
        Event.objects.create(
            sheet=sheet, actor=actor, action=Action.ROLLOVER, from_state=SheetState.DRAFT, to_state=SheetState.DRAFT,
            comment=f"由{from_year}年已公开的绩效目标表结转（预算数待填写，指标及依据沿用上年）。",
        )
        result.created.append(sheet)
