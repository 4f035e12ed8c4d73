"""Importing a Word document without silently overwriting anyone's edits (导入预览、确认导入、恢复导入前内容).

An upload is first previewed: ``projects.services.document_import`` runs inside a
transaction that is rolled back, so the preview is exactly what a confirmation will
do — per sheet of the document 新建 / 更新 (with the cell-level diff against the
current draft) / 内容相同 (a draft that already holds it: left alone, no new version and no history entry) /
拒绝 (with the reason), and whether the department goals change.
The upload is kept as a ``PendingImport`` with the versions of the drafts it would
update or leave; confirming imports it only while none of them has changed since (else 412,
naming who changed which sheet and when), and records an IMPORT entry holding the
previous content in each created or updated sheet's history. From that entry the
section's staff can restore the pre-import content of a draft (``sheets.services.sheet_restore``); the preview's
shape is ``sheets.import_preview``, the document's reader ``projects.docx.reader``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core import errors
from core.db import transaction_lock
from people import roles
from people.roles import display_name
from projects.docx.data import DocumentData
from projects.docx.reader import read_document
from projects.models import DepartmentGoals, TargetSheet
from projects.services import ImportResult, document_import
from sheets.import_preview import GOALS_KEY, GOALS_PARTS, GoalsPreview, ImportPreview, SheetPreview
from sheets.models import PendingImport
from sheets.services import who_when
from sheets.snapshots import FieldChange, diff_snapshots
from workflow.steps import CHAIN
from workflow.models import Action, Event

PENDING_LIFETIME = datetime.timedelta(days=1)
STALE = "导入预览已过期，请重新上传预览。"


@dataclass
class _Before:
    """The document's existing sheets (locked) and department goals, as they were before the import."""

    sheets: dict[int, TargetSheet]
    snapshots: dict[int, dict]
    goals: dict[str, str] | None
    goals_row: DepartmentGoals | None = None


def _before(data: DocumentData, year: int) -> _Before:
    # One import of an agency's year at a time, previews included: the sheets a second import decides on may be
    # created by the first (a new year), so there is no row to lock yet. It reads them once the first committed.
    transaction_lock(f"import:{data.agency_code}:{year}")
    codes = [s.project_code for s in data.sheets]
    sheets = list(
        TargetSheet.objects.select_for_update(of=("self",), no_key=True)
        .filter(project__code__in=codes, fiscal_year__year=year)
        .select_related("project", "updated_by")
        .prefetch_related("plan__checkpoint", "indicators")
        .order_by("pk")  # one lock order for every import: two imports never wait on each other in a circle
    )
    goals = (
        DepartmentGoals.objects.select_for_update(of=("self",)).select_related("updated_by")
        .filter(agency__code=data.agency_code, fiscal_year__year=year).first()
    )
    return _Before(
        sheets={s.pk: s for s in sheets},
        snapshots={s.pk: s.snapshot() for s in sheets},
        goals={name: getattr(goals, name) for name in GOALS_PARTS} if goals else None,
        goals_row=goals,
    )


def _goals_fingerprint(goals: dict[str, str] | None) -> str:
    """The department goals' content as one short string: it changes whenever a part does (there is no version)."""
    text = json.dumps(goals or {}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _snapshots_of(pks) -> dict[int, dict]:
    sheets = TargetSheet.objects.filter(pk__in=pks).select_related("project").prefetch_related("plan__checkpoint", "indicators")
    return {s.pk: s.snapshot() for s in sheets}


def _goals_preview(data: DocumentData, result: ImportResult, before: _Before, year: int) -> GoalsPreview:
    preview = GoalsPreview(
        in_document=not data.goals.is_empty(), written=result.goals_updated, fingerprint=_goals_fingerprint(before.goals)
    )
    if preview.written:
        after = DepartmentGoals.objects.get(agency=result.agency, fiscal_year__year=year)
        old = before.goals or dict.fromkeys(GOALS_PARTS, "")
        preview.changes = [
            FieldChange(label, old[name], getattr(after, name))
            for name, label in GOALS_PARTS.items()
            if old[name] != getattr(after, name)
        ]
    return preview


def _sheet_previews(data: DocumentData, result: ImportResult, before: _Before) -> list[SheetPreview]:
    """One entry per sheet of the document, in the document's order."""
    after = _snapshots_of([s.pk for s in result.created + result.updated])
    by_code: dict[str, SheetPreview] = {}
    for sheet in result.created:
        by_code[sheet.project.code] = SheetPreview("created", sheet.project.code, sheet.display_title, after=after[sheet.pk])
    for sheet in result.updated:
        old = before.sheets[sheet.pk]
        by_code[sheet.project.code] = SheetPreview(
            "updated", sheet.project.code, sheet.display_title, sheet_id=sheet.pk, version=old.version,
            diff=diff_snapshots(before.snapshots[sheet.pk], after[sheet.pk]),
            last_editor=display_name(old.updated_by) if old.updated_by_id else "", last_edited=old.updated,
        )
    for sheet in result.unchanged:
        by_code[sheet.project.code] = SheetPreview(
            "unchanged", sheet.project.code, sheet.display_title, sheet_id=sheet.pk, version=sheet.version
        )
    for sheet, reason in result.refused:
        by_code[sheet.project.code] = SheetPreview(
            "refused", sheet.project.code, sheet.display_title, sheet_id=sheet.pk, version=sheet.version if sheet.pk else None,
            reason=reason,
        )
    previews = []
    for sheet_data in data.sheets:
        if sheet_data.project_code in by_code:
            by_code[sheet_data.project_code].number = sheet_data.number
            previews.append(by_code[sheet_data.project_code])
    return previews


def _stale_message(before: _Before, result: ImportResult, expected_versions: dict) -> str:
    """Why the previewed import is out of date, or "": a draft it would update changed (or was created,
    moved in, withdrawn…) since the preview, so confirming would overwrite what the preview did not show."""
    expected = {int(pk): version for pk, version in expected_versions.items() if pk != GOALS_KEY}
    changed = []
    if (
        GOALS_KEY in expected_versions and result.goals_updated
        and _goals_fingerprint(before.goals) != expected_versions[GOALS_KEY]
    ):
        row = before.goals_row
        who = display_name(row.updated_by) if row is not None and row.updated_by_id else "他人"
        when = f" 于 {timezone.localtime(row.updated):%Y-%m-%d %H:%M}" if row is not None else ""
        changed.append(f"部门整体绩效目标已由 {who}{when} 修改")
    for pk, version in expected.items():
        sheet = before.sheets.get(pk)
        if sheet is None:
            changed.append("预览中的一张表已被删除")
        elif sheet.version != version:
            changed.append(f"“{sheet.display_title}”已由 {who_when(sheet)} 修改")
    for sheet in result.updated + result.unchanged:
        if sheet.pk not in expected:  # previewed as new or refused: it would now be overwritten unseen, or not created
            old = before.sheets.get(sheet.pk)
            if old is None:  # created since this import read the drafts (not by an import: those wait on its lock)
                changed.append(f"“{sheet.display_title}”已由他人新建")
            else:
                changed.append(f"“{old.display_title}”已由 {who_when(old)} 修改")
    return "，".join(changed) + "，" + STALE if changed else ""


def _restricted(user) -> bool:
    """A section's staff import into their section only; an admin (or the command line) imports anything."""
    return user is not None and not user.is_superuser


def _check_importer(user, section) -> None:
    if not _restricted(user):
        return
    if section is None:
        raise errors.invalid("请选择导入到哪个科室。")
    if not roles.has_role(user, CHAIN.author, section):
        raise errors.forbidden(f"只有“{section.name}”的经办人可以导入到该科室。")


def import_preview(
    *, content: bytes, file_name: str, year: int, section=None, user=None, expected_versions: dict | None = None
) -> ImportPreview:
    """What importing the document would do, computed by importing it in a transaction that is rolled back.

    Writes nothing. With ``expected_versions`` (a stored preview's), ``stale`` says which drafts changed since."""
    _check_importer(user, section)
    data = read_document(content, filename=file_name)
    with transaction.atomic():
        before = _before(data, year)
        result = document_import(data=data, year=year, section=section, user=user, restrict_to_section=_restricted(user))
        preview = ImportPreview(
            file_name=file_name, year=year, agency=result.agency.unit_line,
            sheets=_sheet_previews(data, result, before), goals=_goals_preview(data, result, before, year),
            stale=_stale_message(before, result, expected_versions) if expected_versions is not None else "",
            notes=list(result.notes),
        )
        transaction.set_rollback(True)
    return preview


# ---------------------------------------------------------------- pending uploads


def pending_purge() -> int:
    """Forget uploads older than a day (previewed or confirmed): they are not kept as archives."""
    deleted, _ = PendingImport.objects.filter(created__lt=timezone.now() - PENDING_LIFETIME).delete()
    return deleted


def pending_imports(user):
    """The uploads ``user`` may still preview and confirm: their own, unconfirmed, less than a day old."""
    if not user.is_authenticated:
        return PendingImport.objects.none()
    return PendingImport.objects.filter(
        uploaded_by=user, confirmed_at__isnull=True, created__gte=timezone.now() - PENDING_LIFETIME
    ).select_related("section__agency")


def pending_confirmed(user, pk: int) -> bool:
    """Has ``user`` already confirmed their upload ``pk``?"""
    return user.is_authenticated and PendingImport.objects.filter(pk=pk, uploaded_by=user, confirmed_at__isnull=False).exists()


def import_upload(*, user, file_name: str, content: bytes, year: int, section=None) -> tuple[PendingImport, ImportPreview]:
    """Preview an uploaded document and keep it for confirmation. A document that cannot be imported at all
    (unreadable, another agency's …) is refused here and nothing is kept."""
    pending_purge()
    preview = import_preview(content=content, file_name=file_name, year=year, section=section, user=user)
    pending = PendingImport.objects.create(
        uploaded_by=user, file_name=file_name[:255], content=content, year=year, section=section,
        expected_versions=preview.expected_versions,
    )
    return pending, preview


def pending_preview(*, pending: PendingImport, user) -> ImportPreview:
    """The stored upload's preview against the current drafts, ``stale`` when one changed since the upload."""
    return import_preview(
        content=bytes(pending.content), file_name=pending.file_name, year=pending.year, section=pending.section,
        user=user, expected_versions=pending.expected_versions,
    )


def import_confirm(*, pending: PendingImport, user) -> ImportResult:
    """Import the previewed upload, in one transaction; refused as a whole (412) when a draft changed since the preview."""
    pending_purge()
    with transaction.atomic():
        locked = pending_imports(user).select_for_update(of=("self",)).filter(pk=pending.pk).first()
        if locked is None:
            raise errors.not_found("没有找到这次导入预览（可能已确认、已取消或超过 1 天），请重新上传。")
        _check_importer(user, locked.section)
        data = read_document(bytes(locked.content), filename=locked.file_name)
        result = _import_recorded(
            data=data, year=locked.year, section=locked.section, user=user, file_name=locked.file_name,
            expected_versions=locked.expected_versions,
        )
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["confirmed_at"])
    return result


def import_cancel(*, pending: PendingImport, user) -> None:
    """Discard an upload that was not confirmed: nothing was imported."""
    pending_imports(user).filter(pk=pending.pk).delete()


def import_document(*, data: DocumentData, year: int, file_name: str, section=None, user=None) -> ImportResult:
    """Import without a preview (``manage.py import_targets``), still recording the previous content in the history."""
    return _import_recorded(data=data, year=year, section=section, user=user, file_name=file_name)


def _import_recorded(*, data, year, section, user, file_name: str, expected_versions: dict | None = None) -> ImportResult:
    with transaction.atomic():
        before = _before(data, year)
        result = document_import(data=data, year=year, section=section, user=user, restrict_to_section=_restricted(user))
        if expected_versions is not None:
            stale = _stale_message(before, result, expected_versions)
            if stale:
                raise errors.stale(stale)  # rolls the import back
        actor = user if (user is not None and user.is_authenticated) else None
        Event.objects.bulk_create(
            Event(
                sheet=sheet, actor=actor, action=Action.IMPORT, from_state=sheet.state, to_state=sheet.state,
                comment=f"导入文件“{file_name}”", snapshot=before.snapshots.get(sheet.pk),
            )
            for sheet in result.created + result.updated
        )
    return result
