"""Next year's sheets from this year's (由上年结转): each project's published sheet of one year becomes a draft of
another year, with its indicators and their basis, purpose and goal kept and the money left to be filled.

All of an agency's (or a section's) sheets are rolled over in one transaction: a sheet that cannot be (the
project already has a sheet of that year, or last year's sheet is not published) is listed as refused and the
others are created; a dry run reports the same and writes nothing.

Many agencies at once (``sheets_rollover_many``, the command's ``--all-agencies``): a chunk of agencies per
transaction, each chunk in a fixed number of statements; a run stopped half-way is run again and goes on where it
stopped (the projects already rolled over are skipped as existing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from core import errors
from people import roles
from projects.docx.data import IndicatorData
from projects.models import Agency, FiscalYear, Indicator, Section, SheetState, TargetSheet
from projects.services import sheet_content_replace, sheets_create_many
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


ROLLOVER_CHUNK = 200  # agencies per transaction in a many-agency rollover (a province: 20,000 agencies, 100 chunks)


@dataclass
class ManyRolloverResult:
    from_year: int
    to_year: int
    agencies: int = 0
    created: int = 0
    not_published: int = 0  # last year's sheets not published: not rolled over
    existing: int = 0  # projects that already have a sheet of the target year: skipped
    refused: list[str] = field(default_factory=list)  # sheets whose content would not be stored (why)
    dry_run: bool = False

    def summary(self) -> str:
        verb = "将结转" if self.dry_run else "已结转"
        text = (
            f"{self.from_year}年 → {self.to_year}年，{self.agencies} 个单位：{verb} {self.created} 张；"
            f"未公开未结转 {self.not_published} 张，目标年度已有表跳过 {self.existing} 张"
        )
        if self.refused:
            text += f"，内容不能保存未结转 {len(self.refused)} 张"
        return "\n".join([text + "。", *self.refused])


def sheets_rollover_many(
    *, agency_codes: list[str] | None, from_year: int, to_year: int, dry_run: bool = False, chunk: int = ROLLOVER_CHUNK,
    progress=None,
) -> ManyRolloverResult:
    """由上年结转 for every agency (``agency_codes`` None) or the listed ones: what ``sheets_rollover`` does for one
    agency, ``chunk`` agencies per transaction, each chunk in a fixed number of statements (the sheets, their plans,
    indicators and history entries written in bulk). ``progress(done, total)`` after each chunk. Only the command
    calls it (an administrator's act, recorded as the system's)."""
    if to_year <= from_year:
        raise errors.invalid(f"结转的目标年度（{to_year}）必须晚于来源年度（{from_year}）。")
    agencies = Agency.objects.order_by("pk")
    if agency_codes is not None:
        codes = list(dict.fromkeys(agency_codes))
        agencies = agencies.filter(code__in=codes)
        missing = set(codes) - set(agencies.values_list("code", flat=True))
        if missing:
            raise errors.invalid(f"没有编码为 {'、'.join(sorted(missing))} 的单位。")
    ids = list(agencies.values_list("pk", flat=True))
    result = ManyRolloverResult(from_year=from_year, to_year=to_year, agencies=len(ids), dry_run=dry_run)
    target_year = FiscalYear.objects.filter(year=to_year).first() if dry_run else FiscalYear.get_or_create_with_defaults(to_year)
    for start in range(0, len(ids), chunk):
        try:
            with transaction.atomic():
                _rollover_chunk(ids[start:start + chunk], from_year=from_year, target_year=target_year, result=result)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        if progress is not None:
            progress(min(start + chunk, len(ids)), len(ids))
    return result


def _rollover_chunk(agency_ids: list[int], *, from_year: int, target_year, result: ManyRolloverResult) -> None:
    sources = list(
        TargetSheet.objects.filter(agency_id__in=agency_ids, fiscal_year__year=from_year)
        .order_by("agency_id", "position", "id")
        .values_list("pk", "state", "project_id", "project__section_id", "agency_id", "position", "title", "purpose", "goal")
    )
    existing = set() if target_year is None else set(
        TargetSheet.objects.select_for_update(of=("self",), no_key=True)
        .filter(project_id__in=[row[2] for row in sources], fiscal_year=target_year).values_list("project_id", flat=True)
    )
    wanted = []
    for row in sources:
        if row[1] != SheetState.PUBLISHED:
            result.not_published += 1
        elif row[2] in existing:
            result.existing += 1
        else:
            wanted.append(row)
    if target_year is None:  # a dry run into a year not created yet: every published sheet would be rolled over
        result.created += len(wanted)
        return
    indicators: dict[int, list[IndicatorData]] = {}
    for sheet_id, *fields in (
        Indicator.objects.filter(sheet_id__in=[row[0] for row in wanted]).order_by("sheet_id", "order", "id")
        .values_list("sheet_id", "category", "subcategory", "name", "description", "target_value", "basis")
    ):
        indicators.setdefault(sheet_id, []).append(IndicatorData(*fields))
    plan = {cp: cp.planned_percent for cp in target_year.checkpoints.all()}
    drafts = [
        (
            TargetSheet(
                project_id=project_id, fiscal_year=target_year, agency_id=agency_id, section_id=section_id,
                position=position, title=title, state=SheetState.DRAFT, rolled_over_from_id=pk,
            ),
            {
                "budget_total": Decimal("0.00"), "fiscal_funds": Decimal("0.00"), "other_funds": Decimal("0.00"),
                "purpose": purpose, "goal": goal, "plan": plan, "indicators": indicators.get(pk, []),
            },
        )
        for pk, _state, project_id, section_id, agency_id, position, title, purpose, goal in wanted
    ]
    created, refused = sheets_create_many(drafts=drafts)
    result.created += len(created)
    result.refused += [f"项目 {sheet.project_id}（{from_year}年表 {sheet.rolled_over_from_id}）：{why}" for sheet, why in refused]
    Event.objects.bulk_create(
        [
            Event(
                sheet=sheet, actor=None, action=Action.ROLLOVER, from_state=SheetState.DRAFT, to_state=SheetState.DRAFT,
                comment=f"由{from_year}年已公开的绩效目标表结转（预算数待填写，指标及依据沿用上年）。",
            )
            for sheet in created
        ],
        batch_size=2000,
    )
