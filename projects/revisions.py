"""Reads of a sheet's revisions (目标调整, ``adjustments``): its adjustment under way, its versions, the sheet an
adjustment revises. In the domain layer so that the sheet pages and API name them without knowing the adjustments
app above them."""

from __future__ import annotations

from dataclasses import dataclass

from projects.models import Revision, SheetState, TargetSheet


def open_adjustment(sheet: TargetSheet) -> TargetSheet | None:
    """The sheet's adjustment under way (not yet approved), or None: at most one (``sheet_one_open_adjustment``)."""
    return (
        TargetSheet.documents.filter(revises=sheet, revision=Revision.ADJUSTMENT).exclude(state=SheetState.PUBLISHED)
        .select_related("opened_by").first()
    )


def adjustments_of(sheet: TargetSheet):
    """Every adjustment of the sheet, the oldest first (under way and approved)."""
    return TargetSheet.documents.filter(revises=sheet, revision=Revision.ADJUSTMENT).select_related("opened_by").order_by("created", "id")


def in_force_of(document: TargetSheet) -> TargetSheet:
    """The sheet in force a revision revises (the sheet itself when it is one), with its content."""
    from projects.selectors import sheets_with_content

    if document.revises_id is None:
        return document
    return sheets_with_content().get(pk=document.revises_id)


@dataclass(frozen=True)
class Version:
    """One version of a sheet's targets: its row (the sheet itself while in force, an archived row after), when it
    came in force and until when, and the reason of the adjustment that made it (年初: none)."""

    id: int
    since: object  # datetime
    until: object | None  # datetime; None: in force
    reason: str

    @property
    def current(self) -> bool:
        return self.until is None

    @property
    def original(self) -> bool:
        """年初: the first published version (made by no adjustment)."""
        return not self.reason


def versions_of(sheet: TargetSheet) -> list[Version]:
    """The versions of a published sheet, the oldest (年初) first and the one in force last; [] before publication."""
    if not sheet.is_published:
        return []
    archived = TargetSheet.all_objects.filter(revises=sheet, revision=Revision.VERSION).order_by("in_force_from", "id")
    versions = [Version(v.pk, v.in_force_from, v.in_force_until, v.reason) for v in archived]
    return [*versions, Version(sheet.pk, sheet.version_date, None, sheet.reason)]


def archived_version(sheet: TargetSheet, pk: int) -> TargetSheet | None:
    """An archived version of ``sheet`` by its id (with what the table layout reads), or None."""
    return TargetSheet.all_objects.filter(revises=sheet, revision=Revision.VERSION, pk=pk).select_related(
        "project", "agency", "section", "fiscal_year"
    ).first()
