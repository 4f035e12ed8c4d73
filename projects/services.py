"""Writes on the documents: import a Word package, update a draft, set department goals.

Every function here is atomic: it saves everything or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import prefetch_related_objects

from core import errors
from projects import rules, signals, validation
from projects.docx.data import DepartmentGoalsData, DocumentData, IndicatorData, SheetData
from projects.models import (
    Agency,
    Checkpoint,
    DepartmentGoals,
    FiscalYear,
    Indicator,
    Project,
    Section,
    SheetState,
    SpendPlan,
    TargetSheet,
)


def ImportRefused(message: str) -> errors.AppError:  # noqa: N802 — reads like the refusal it builds
    """The document cannot be imported as a whole; the message is Chinese and names the place."""
    return errors.invalid(message, code="import_refused")


@dataclass
class ImportResult:
    agency: Agency
    year: int
    created: list[TargetSheet] = field(default_factory=list)
    updated: list[TargetSheet] = field(default_factory=list)
    unchanged: list[TargetSheet] = field(default_factory=list)  # drafts that already hold the document's content: not written
    refused: list[tuple[TargetSheet, str]] = field(default_factory=list)
    goals_updated: bool = False
    notes: list[str] = field(default_factory=list)  # what the import left alone on purpose (e.g. a published project's name)

    def summary(self) -> str:
        parts = [f"新建 {len(self.created)} 张", f"更新 {len(self.updated)} 张", f"拒绝 {len(self.refused)} 张"]
        if self.unchanged:
            parts.append(f"内容相同未改动 {len(self.unchanged)} 张")
        if self.goals_updated:
            parts.append("部门整体绩效目标已更新")
        text = f"{self.agency.unit_line} {self.year}年：" + "，".join(parts)
        return "\n".join([text, *self.notes])


@transaction.atomic
def document_import(
    *, data: DocumentData, year: int, section: Section | None = None, user=None, restrict_to_section: bool = False
) -> ImportResult:
    """Create or update the agency, its projects and their sheets (in draft) from a read document.

    A sheet that has left draft is refused (and reported) while the others are
    imported; anything inconsistent in the document refuses the whole import.
    ``section`` becomes the section of newly created projects. With
    ``restrict_to_section`` (a section's staff importing), the document must be
    that section's agency's, sheets of other sections are refused, and the
    department goals are left alone (their leader edits them).

    Control characters Word had are stripped; anything the database cannot hold (``projects.validation``)
    refuses the whole file. A project with a published sheet (any year) keeps its name: see ``notes``.
    """
    validation.clean_document(data)
    validation.validate_document(data)
    fiscal_year = FiscalYear.get_or_create_with_defaults(year)
    prefetch_related_objects([fiscal_year], "checkpoints")  # each sheet's plan and checker read them: once
    if section is not None and data.agency_code != section.agency.code:
        raise ImportRefused(
            f"文件属于“{data.agency_code}{data.agency_name}”，不能导入到“{section.agency.unit_line}”的科室“{section.name}”。"
        )
    agency, kept_name = _agency_upsert(data.agency_code, data.agency_name, rename=not restrict_to_section)
    result = ImportResult(agency=agency, year=year)
    if kept_name:
        result.notes.append(kept_name)
    if not data.goals.is_empty() and not restrict_to_section:
        refusal = goals_editable_refusal(DepartmentGoals.objects.filter(agency=agency, fiscal_year=fiscal_year).first())
        if refusal:  # on the approval engine: an import never changes goals under review or published
            result.notes.append(f"本次导入未修改部门整体绩效目标：{refusal}")
        else:
            goals_set(agency=agency, fiscal_year=fiscal_year, goals=data.goals, user=user)
            result.goals_updated = True
    for sheet_data in data.sheets:
        _sheet_import(
            sheet_data, agency=agency, fiscal_year=fiscal_year, section=section,
            restrict_to_section=restrict_to_section, result=result, user=user,
        )
    return result


def _agency_upsert(code: str, name: str, *, rename: bool) -> tuple[Agency, str]:
    """The agency, renamed as the document says unless one of its sheets is published (then a note says so)."""
    agency, created = Agency.objects.get_or_create(code=code, defaults={"name": name})
    if rename and not created and name and agency.name != name:
        if agency.has_published_sheet():  # its published sheets show its name: an import never changes what is public
            return agency, f"单位“{agency.unit_line}”已有公开的绩效目标表，导入未改名为“{name}”。"
        agency.name = name
        agency.save(update_fields=["name"])
    return agency, ""


def _sheet_import(data: SheetData, *, agency, fiscal_year, section, restrict_to_section: bool, result: ImportResult, user=None) -> None:
    project = _existing_project(data, agency=agency)
    sheet = None
    if project is not None:
        sheet = TargetSheet.objects.filter(project=project, fiscal_year=fiscal_year).select_for_update(no_key=True).first()
    refusal = _refusal(data, project=project, sheet=sheet, section=section, restrict_to_section=restrict_to_section)
    if refusal:
        shown = sheet or TargetSheet(project=project or Project(code=data.project_code, name=data.project_name), agency=agency)
        result.refused.append((shown, refusal))
        return  # nothing of a refused sheet is touched, not even its project's name
    name = project.name if project is not None else None
    project = _project_save(project, data, agency=agency, section=section, result=result)
    created = sheet is None
    if created:
        sheet = TargetSheet(project=project, fiscal_year=fiscal_year, state=SheetState.DRAFT)
    title = "" if data.title == project.name else data.title
    plan = _plan_by_checkpoint(data, fiscal_year)
    if not created and project.name == name and _holds(sheet, data, title=title, plan=plan):
        result.unchanged.append(sheet)  # no new version, no history entry: nothing to see or restore
        return
    sheet.fiscal_year = fiscal_year  # the same year, with its checkpoints read
    sheet.agency = agency
    sheet.section = project.section
    sheet.position = data.number
    sheet.title = title
    sheet_content_replace(
        sheet=sheet,
        budget_total=data.budget_total,
        fiscal_funds=data.fiscal_funds,
        other_funds=data.other_funds,
        purpose=data.purpose,
        goal=data.goal,
        plan=plan,
        indicators=data.indicators,
        user=user,
    )
    (result.created if created else result.updated).append(sheet)


def _holds(sheet: TargetSheet, data: SheetData, *, title: str, plan: dict) -> bool:
    """Does the draft already hold what the document says for it (its place, title, money, texts, plan and rows)?"""
    if (sheet.position, sheet.title, sheet.purpose, sheet.goal) != (data.number, title, data.purpose, data.goal):
        return False
    if (sheet.budget_total, sheet.fiscal_funds, sheet.other_funds) != (data.budget_total, data.fiscal_funds, data.other_funds):
        return False
    if {p.checkpoint_id: p.cumulative_percent for p in sheet.plan.all()} != {cp.pk: percent for cp, percent in plan.items()}:
        return False
    rows = [(i.category, i.subcategory, i.name, i.description, i.target_value, i.basis) for i in sheet.indicators.order_by("order", "id")]
    return rows == [(i.category, i.subcategory, i.name, i.description, i.target_value, i.basis) for i in data.indicators]


def _existing_project(data: SheetData, *, agency: Agency) -> Project | None:
    project = Project.objects.filter(code=data.project_code).select_related("agency", "section").first()
    if project is not None and project.agency_id != agency.pk:
        raise ImportRefused(
            f"第{data.number}张表：项目编码 {data.project_code} 已属于“{project.agency.unit_line}”，不能导入到“{agency.unit_line}”。"
        )
    return project


def _refusal(data: SheetData, *, project, sheet, section, restrict_to_section: bool) -> str:
    """Why this sheet of the document may not be imported, or "" when it may."""
    if restrict_to_section and project is not None and project.section_id != section.pk:
        owner = project.section.name if project.section else "未分配科室"
        return f"“{data.title}”属于“{owner}”，不能由本科室导入。"
    if sheet is not None and not sheet.is_editable:
        return f"“{sheet.display_title}”处于“{sheet.get_state_display()}”状态，不能用导入覆盖。"
    return ""


def _project_save(project: Project | None, data: SheetData, *, agency: Agency, section: Section | None, result: ImportResult) -> Project:
    if project is None:
        return Project.objects.create(code=data.project_code, name=data.project_name, agency=agency, section=section)
    if project.name != data.project_name and project.sheets.filter(state=SheetState.PUBLISHED).exists():
        # Its published sheets (any year) show the project's name: an import never changes what is public.
        result.notes.append(
            f"项目“{project.name}”（{project.code}）已有公开的绩效目标表，导入未改名为“{data.project_name}”；"
            "如需改名，请在该表的审批中修改。"
        )
    elif project.name != data.project_name:
        project.name = data.project_name
        project.save(update_fields=["name"])
    return project


def _plan_by_checkpoint(data: SheetData, fiscal_year: FiscalYear) -> dict:
    checkpoints = {cp.date.month: cp for cp in fiscal_year.checkpoints.all()}
    plan = {}
    for point in data.plan:
        checkpoint = checkpoints.get(point.month)
        if checkpoint is None:
            labels = "、".join(cp.label for cp in checkpoints.values())
            raise ImportRefused(
                f"第{data.number}张表“{data.title}”：资金支出计划的节点“{point.label}”不是{fiscal_year.year}年的时间节点（{labels}）。"
            )
        plan[checkpoint] = point.percent
    return plan


def sheet_content_replace(
    *,
    sheet: TargetSheet,
    budget_total: Decimal,
    fiscal_funds: Decimal,
    other_funds: Decimal,
    purpose: str,
    goal: str,
    plan: dict,
    indicators: list[IndicatorData],
    user=None,
) -> TargetSheet:
    """Replace a draft's content: the money, purpose, goal, plan (checkpoint → %) and indicator rows.

    The caller holds the sheet's row lock; the write takes the next version, recorded as ``user``'s."""
    if sheet.pk is not None and not sheet.is_editable:
        raise errors.conflict(f"“{sheet.display_title}”处于“{sheet.get_state_display()}”状态，不能修改。")
    return _content_write(
        sheet=sheet, budget_total=budget_total, fiscal_funds=fiscal_funds, other_funds=other_funds, purpose=purpose,
        goal=goal, plan=plan, indicators=indicators, user=user,
    )


def sheet_content_of(sheet: TargetSheet) -> dict:
    """A sheet's content as ``sheet_content_replace``'s keywords (money, purpose, goal, plan, indicators)."""
    return {
        "budget_total": sheet.budget_total,
        "fiscal_funds": sheet.fiscal_funds,
        "other_funds": sheet.other_funds,
        "purpose": sheet.purpose,
        "goal": sheet.goal,
        "plan": {p.checkpoint: p.cumulative_percent for p in sheet.plan.select_related("checkpoint")},
        "indicators": [
            IndicatorData(i.category, i.subcategory, i.name, i.description, i.target_value, i.basis)
            for i in sheet.indicators.order_by("order", "id")
        ],
    }


def sheet_content_adopt(*, sheet: TargetSheet, source: TargetSheet, user=None) -> TargetSheet:
    """目标调整: the published ``sheet`` (in force) takes the content of ``source`` (its approved adjustment). The one
    write of a published sheet's content: only ``adjustments.services`` calls it, in the move that approved the
    adjustment and under both rows' locks."""
    if not sheet.is_published or sheet.revises_id is not None or source.revises_id != sheet.pk:
        raise errors.conflict(f"“{sheet.display_title}”只能采用其已通过的目标调整的内容。")
    return _content_write(sheet=sheet, user=user, **sheet_content_of(source))


def _content_write(*, sheet: TargetSheet, budget_total, fiscal_funds, other_funds, purpose, goal, plan, indicators, user=None) -> TargetSheet:
    validation.validate_sheet_content(
        budget_total=budget_total, fiscal_funds=fiscal_funds, other_funds=other_funds, purpose=purpose, goal=goal,
        plan=plan, indicators=indicators,
    )  # a sheet that could not be stored whole or exported to Word is not saved
    if sheet.pk is not None:
        sheet.bump_version(user)
    else:
        sheet.updated_by = user if (user is not None and user.is_authenticated) else None
    sheet.budget_total = budget_total
    sheet.fiscal_funds = fiscal_funds
    sheet.other_funds = other_funds
    sheet.purpose = purpose
    sheet.goal = goal
    plan_rows = [SpendPlan(sheet=sheet, checkpoint=checkpoint, cumulative_percent=percent) for checkpoint, percent in plan.items()]
    rows = []
    for order, item in enumerate(indicators):
        row = Indicator(
            sheet=sheet,
            order=order,
            category=item.category,
            subcategory=item.subcategory,
            name=item.name,
            description=item.description,
            target_value=item.target_value,
            basis=item.basis,
        )
        row.apply_parsed_value()
        rows.append(row)
    # the checker's verdict on exactly the rows written below, saved with them (validation above refused any
    # value the columns would round, so the saved content reads back equal); the year's checkpoints are read once
    # per year object (an import or a rollover writes many sheets of one year)
    prefetch_related_objects([sheet.fiscal_year], "checkpoints")
    sheet.check_errors, sheet.check_warnings = rules.verdict(sheet.content(plan=plan_rows, indicators=rows))
    sheet.save()
    sheet.plan.all().delete()
    SpendPlan.objects.bulk_create(plan_rows)
    sheet.indicators.all().delete()
    Indicator.objects.bulk_create(rows)
    signals.sheet_content_replaced.send(sender=TargetSheet, sheet=sheet)
    return sheet


def sheets_create_many(*, drafts: list[tuple[TargetSheet, dict]], user=None) -> tuple[list[TargetSheet], list[tuple[TargetSheet, str]]]:
    """Create many new sheets at once, each ``(unsaved sheet, content as sheet_content_replace's keywords)``: what
    ``sheet_content_replace`` does for one (the same validation, parsed values and checker verdict, the library told),
    in a fixed number of statements however many (a rollover of a province's agencies). A sheet whose content would
    be refused is left out with the reason. Returns (created, refused). Runs in the caller's transaction."""
    created, refused, plans, rows = [], [], [], []
    actor = user if (user is not None and user.is_authenticated) else None
    years = {id(sheet.fiscal_year): sheet.fiscal_year for sheet, _ in drafts}
    prefetch_related_objects(list(years.values()), "checkpoints")  # the checker reads each year's once
    for sheet, content in drafts:
        try:
            validation.validate_sheet_content(**content)
        except errors.AppError as error:
            refused.append((sheet, error.message))
            continue
        sheet.updated_by = actor
        for name in ("budget_total", "fiscal_funds", "other_funds", "purpose", "goal"):
            setattr(sheet, name, content[name])
        sheet_plans = [SpendPlan(sheet=sheet, checkpoint=checkpoint, cumulative_percent=percent) for checkpoint, percent in content["plan"].items()]
        sheet_rows = []
        for order, item in enumerate(content["indicators"]):
            row = Indicator(
                sheet=sheet, order=order, category=item.category, subcategory=item.subcategory, name=item.name,
                description=item.description, target_value=item.target_value, basis=item.basis,
            )
            row.apply_parsed_value()
            sheet_rows.append(row)
        sheet.check_errors, sheet.check_warnings = rules.verdict(sheet.content(plan=sheet_plans, indicators=sheet_rows))
        created.append(sheet)
        plans += sheet_plans
        rows += sheet_rows
    TargetSheet.objects.bulk_create(created, batch_size=1000)
    for row in (*plans, *rows):
        row.sheet_id = row.sheet.pk  # bulk_create set the sheets' ids after the rows were made
    SpendPlan.objects.bulk_create(plans, batch_size=2000)
    _indicators_insert(rows)
    for sheet in created:
        signals.sheet_content_replaced.send(sender=TargetSheet, sheet=sheet)
    return created, refused


# the columns of an indicator row as written by ``_indicators_insert`` (its id aside), with their PostgreSQL types
_INDICATOR_COLUMNS = (
    ("sheet_id", "bigint"), ("order", "smallint"), ("category", "text"), ("subcategory", "text"), ("name", "text"),
    ("description", "text"), ("target_value", "text"), ("value_kind", "text"), ("value_operator", "text"),
    ("value_number", "numeric"), ("value_unit", "text"), ("basis", "text"),
)


def _indicators_insert(rows: list[Indicator]) -> None:
    """Insert these new rows (their ids are not read back). PostgreSQL: one INSERT … SELECT from an array per column,
    built straight from the rows' values: ``bulk_create`` spends more time preparing 40,000 rows' half a million
    values one by one (a rollover of 1,000 agencies) than the database spends storing them. Elsewhere
    ``bulk_create``."""
    from core.db import is_postgresql

    if not is_postgresql():
        Indicator.objects.bulk_create(rows, batch_size=2000)
        return
    fields = {field.attname: field for field in Indicator._meta.concrete_fields}
    assert set(fields) == {"id"} | {name for name, _type in _INDICATOR_COLUMNS}, "an Indicator field is not written here"
    columns = ", ".join(f'"{fields[name].column}"' for name, _type in _INDICATOR_COLUMNS)
    arrays = ", ".join(f"%s::{array_type}[]" for _name, array_type in _INDICATOR_COLUMNS)
    sql = f"INSERT INTO {Indicator._meta.db_table} ({columns}) SELECT * FROM unnest({arrays})"
    from django.db import connection

    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10000):
            batch = rows[start:start + 10000]
            cursor.execute(sql, [[getattr(row, name) for row in batch] for name, _type in _INDICATOR_COLUMNS])


def sheet_verdicts_forget(*, fiscal_year_id: int) -> int:
    """The year's checkpoints changed: every sheet of the year is checked against them, so its stored verdict is
    unknown until its content is next written (lists run the checker on such rows). Returns how many were reset."""
    return TargetSheet.objects.filter(fiscal_year_id=fiscal_year_id, check_errors__isnull=False).update(
        check_errors=None, check_warnings=None
    )


def sheet_verdicts_fill(*, apps=None, batch: int = 2000) -> int:
    """Store the checker's verdict on every sheet that has none (``check_errors`` is NULL): after the fields were
    added (projects 0007, which calls this with its ``apps``), after the year's checkpoints changed, or after rows
    were inserted outside ``sheet_content_replace`` (the benchmark's bulk fill). A batch of sheets at a time, its
    content read in three queries and the counts written in one UPDATE. Returns how many sheets were checked.

    Changing a rule in ``projects.rules`` changes verdicts: such a change comes with a migration that sets
    ``check_errors`` to NULL and calls this."""
    current = {"TargetSheet": TargetSheet, "SpendPlan": SpendPlan, "Indicator": Indicator, "Checkpoint": Checkpoint}
    get = (lambda name: apps.get_model("projects", name)) if apps is not None else current.__getitem__
    sheets_model, plan_model, indicator_model = get("TargetSheet"), get("SpendPlan"), get("Indicator")
    checkpoints: dict[int, list[int]] = {}
    for checkpoint_id, year_id in get("Checkpoint").objects.order_by("date", "id").values_list("pk", "fiscal_year_id"):
        checkpoints.setdefault(year_id, []).append(checkpoint_id)
    done, after = 0, 0
    while True:
        with transaction.atomic():  # one batch a transaction: a migration running this locks no more than a batch
            sheets = list(
                sheets_model.objects.filter(check_errors__isnull=True, pk__gt=after).order_by("pk")
                .values_list("pk", "fiscal_year_id", "budget_total", "fiscal_funds", "other_funds")[:batch]
            )
            if not sheets:
                return done
            ids = [row[0] for row in sheets]
            planned: dict[int, dict] = {}
            for sheet_id, checkpoint_id, percent in plan_model.objects.filter(sheet_id__in=ids).values_list(
                "sheet_id", "checkpoint_id", "cumulative_percent"
            ):
                planned.setdefault(sheet_id, {})[checkpoint_id] = percent
            rows: dict[int, list] = {}
            for sheet_id, *fields in indicator_model.objects.filter(sheet_id__in=ids).order_by(
                "sheet_id", "order", "id"
            ).values_list("sheet_id", "category", "subcategory", "name", "description", "target_value", "basis"):
                rows.setdefault(sheet_id, []).append(rules.Row(*fields))
            counts = []
            for pk, year_id, budget_total, fiscal_funds, other_funds in sheets:
                plan = [rules.PlanPoint(str(cp), planned.get(pk, {}).get(cp)) for cp in checkpoints.get(year_id, [])]
                content = rules.SheetContent(budget_total, fiscal_funds, other_funds, plan=plan, rows=rows.get(pk, []))
                counts.append(rules.verdict(content))
            _verdicts_write(sheets_model, ids, counts)
        done += len(sheets)
        after = ids[-1]


def _verdicts_write(sheets_model, ids: list[int], counts: list[tuple[int, int]]) -> None:
    """Store the counts on sheets still without a verdict: one written meanwhile by ``sheet_content_replace`` (from
    newer content) is kept. One UPDATE from arrays on PostgreSQL, one per sheet elsewhere (the SQLite demo)."""
    from django.db import connection

    from core.db import is_postgresql

    if not is_postgresql():
        for pk, (error_count, warning_count) in zip(ids, counts):
            sheets_model.objects.filter(pk=pk, check_errors__isnull=True).update(
                check_errors=error_count, check_warnings=warning_count
            )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {sheets_model._meta.db_table} t SET check_errors = v.e, check_warnings = v.w "
            "FROM unnest(%s::bigint[], %s::int[], %s::int[]) AS v(id, e, w) WHERE t.id = v.id AND t.check_errors IS NULL",
            [ids, [c[0] for c in counts], [c[1] for c in counts]],
        )


@transaction.atomic
def project_section_set(*, project: Project, section: Section | None, user=None) -> list[TargetSheet]:
    """Move a project (and every sheet of it, in every year) to another section of its agency, in one transaction.

    The sheets' copied ``section`` key moves with the project; receivers of ``projects.signals.sheets_moved``
    (the workflow) hand an open step scoped on the old section to the new section's holders."""
    if section is not None and section.agency_id != project.agency_id:
        raise errors.invalid(f"科室“{section.name}”不属于“{project.agency.unit_line}”，项目不能移到其他单位的科室。")
    old_section_id = project.section_id
    project.section = section
    project.save(update_fields=["section"])
    # its adjustments under way and archived versions move with it (every row of the project)
    sheets = list(TargetSheet.all_objects.select_for_update(no_key=True).filter(project=project))
    moved = [s for s in sheets if s.section_id != (section.pk if section else None)]
    for sheet in moved:
        sheet.section = section
        sheet.bump_version(user)
        sheet.save(update_fields=["section", "version", "updated_by", "updated"])
    moved = [s for s in moved if not s.is_archived_version]  # an archive has no step to hand on, nor a history
    if moved:
        signals.sheets_moved.send(sender=TargetSheet, sheets=moved, old_section_id=old_section_id, new_section=section, user=user)
    return moved


@transaction.atomic
def goals_editable_refusal(record: DepartmentGoals | None) -> str | None:
    """Why the department goals may not be written now (they left draft: under review or published), or None."""
    if record is None or record.is_editable:
        return None
    return f"{record.display_title}处于“{record.get_state_display()}”状态，不能修改；需要修改时请财政审核人退回。"


@transaction.atomic
def goals_set(
    *, agency: Agency, fiscal_year: FiscalYear, goals: DepartmentGoalsData, user=None, expected_version: int | None = None
) -> DepartmentGoals:
    """Write the agency's department goals of a year (a draft or returned one only: they are on the approval engine);
    ``expected_version``: the version the writer read (an older one is refused, 412)."""
    validation.validate_goals(goals)
    record, _ = DepartmentGoals.objects.select_for_update().get_or_create(agency=agency, fiscal_year=fiscal_year)
    refusal = goals_editable_refusal(record)
    if refusal:
        raise errors.conflict(refusal)
    if expected_version is not None and expected_version != record.version:
        raise errors.stale(
            f"部门整体绩效目标已被他人修改（当前版本 {record.version}，您编辑的是版本 {expected_version}），您的修改未保存。请刷新页面后重新修改。"
        )
    record.overall = "\n".join(goals.overall)
    record.itemized = "\n".join(goals.itemized)
    record.safeguards = "\n".join(goals.safeguards)
    record.bump_version(user)
    record.save()
    return record
