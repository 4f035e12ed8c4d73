"""Models → plain data → the official Word tables (``projects.docx.writer``)."""

from __future__ import annotations

import datetime
from itertools import islice

from django.utils import timezone

from projects import revisions
from projects.docx import writer
from projects.docx.data import DepartmentGoalsData, DocumentData, IndicatorData, PlanPointData, SheetData
from projects.models import Agency, DepartmentGoals, SheetState, TargetSheet
from projects.selectors import package_sheets


def _side_by_side(value: str, original) -> str:
    """指标值 with its 年初 value beside it where an adjustment changed it (目标调整)."""
    return value if original is None else f"{value}（年初：{original or '无'}）"


def sheet_data(sheet: TargetSheet, original: revisions.Original | None = None) -> SheetData:
    """The sheet as the Word writer takes it; ``original`` (``projects.revisions.originals``): an adjusted sheet's 年初
    values, written beside the adjusted ones where they differ."""
    return SheetData(
        number=sheet.position,
        title=sheet.display_title,
        agency_code=sheet.agency.code,
        agency_name=sheet.agency.name,
        project_code=sheet.project.code,
        project_name=sheet.project.name,
        budget_total=sheet.budget_total,
        fiscal_funds=sheet.fiscal_funds,
        other_funds=sheet.other_funds,
        purpose=sheet.purpose,
        plan=[PlanPointData(p.checkpoint.label, p.checkpoint.date.month, p.cumulative_percent) for p in sheet.plan.all()],
        goal=sheet.goal,
        indicators=[
            IndicatorData(
                i.category, i.subcategory, i.name, i.description,
                _side_by_side(i.target_value, original.value_of(i) if original is not None else None), i.basis,
            )
            for i in sheet.indicators.all()
        ],
        published=sheet.is_published,
        state_label=sheet.get_state_display(),
        year=sheet.fiscal_year.year,
        original_budget=original.budget_if_changed(sheet.budget_total) if original is not None else None,
    )


def goals_data(agency: Agency, year: int) -> DepartmentGoalsData:
    record = DepartmentGoals.objects.filter(agency=agency, fiscal_year__year=year).first()
    if record is None:
        return DepartmentGoalsData()
    return DepartmentGoalsData(
        overall=record.paragraphs(record.overall),
        itemized=record.paragraphs(record.itemized),
        safeguards=record.paragraphs(record.safeguards),
    )


def package_data(agency: Agency, year: int, *, states=None, progress=None, every: int = 100) -> DocumentData:
    """The package's plain data, read 500 sheets a query round; ``progress(n)`` every ``every`` sheets."""
    sheets = []
    read = package_sheets(agency=agency, year=year, states=states).iterator(chunk_size=500)
    while batch := list(islice(read, 500)):
        originals = revisions.originals(batch)  # 年初 of the adjusted sheets (none: no query)
        for sheet in batch:
            data = sheet_data(sheet, originals.get(sheet.pk))
            data.number = number = len(sheets) + 1
            sheets.append(data)
            if progress and number % every == 0:
                progress(number)
    return DocumentData(
        agency_code=agency.code, agency_name=agency.name, goals=goals_data(agency, year), sheets=sheets, year=year,
        scope=package_scope(states), generated=timezone.localdate(),
    )


def package_scope(states) -> str:
    """已公开 for a package of published sheets only, else 全部 (every sheet its reader may see)."""
    return "已公开" if states is not None and set(states) == {SheetState.PUBLISHED} else "全部"


def package_file_name(agency: Agency, year: int, *, states, today: datetime.date | None = None) -> str:
    """The package's download name: whose, which year, 全部 or 已公开, and the day it was made."""
    today = today or timezone.localdate()
    return f"{agency.code}{agency.name}{year}年预算绩效目标（{package_scope(states)}）-{today:%Y%m%d}.docx"


def export_package(*, agency: Agency, year: int, target, states=None, progress=None) -> DocumentData:
    """Write the agency's department package for a year (only sheets in ``states`` when given); returns what was written.
    ``progress(n)`` is told how many sheets are read (writing them takes a fraction of reading them)."""
    data = package_data(agency, year, states=states, progress=progress)
    writer.write_document(data, target)
    if progress:
        progress(len(data.sheets))
    return data


def export_sheet(*, sheet: TargetSheet, target) -> None:
    writer.write_sheet(sheet_data(sheet, revisions.originals([sheet]).get(sheet.pk)), target)
