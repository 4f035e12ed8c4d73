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


@dataclass(frozen=True)
class Original:
    """年初: what an adjusted sheet held when first published (its first archived version)."""

    budget_total: object  # Decimal
    values: dict  # (一级, 二级, 三级) → 指标值

    def value_of(self, indicator) -> str | None:
        """The indicator's 年初 value where it differs from today's ("" for a row added by an adjustment), else None."""
        return self.value_at((indicator.category, indicator.subcategory, indicator.name), indicator.target_value)

    def value_at(self, key: tuple, target_value: str) -> str | None:
        """``value_of`` by the row's (一级, 二级, 三级) and today's value (readers of plain rows)."""
        before = self.values.get(tuple(key), "")
        return None if before == target_value else before

    def budget_if_changed(self, budget_total) -> object | None:
        """年初预算数 where it differs from today's 预算数, else None."""
        return None if self.budget_total == budget_total else self.budget_total


def originals(sheets) -> dict[int, Original]:
    """年初 of the adjusted sheets among ``sheets`` (those with ``in_force_from``: an adjustment was applied): two
    queries when any was adjusted, none otherwise."""
    return originals_by_id([sheet.pk for sheet in sheets if sheet.in_force_from is not None and sheet.revises_id is None])


def originals_by_id(ids) -> dict[int, Original]:
    """年初 of the adjusted sheets in force with these ids (a sheet never adjusted has none): two queries, none for no
    ids. Readers that hold plain rows (the Excel summary's chunks) pass the ids whose ``in_force_from`` is set."""
    from projects.models import Indicator

    if not ids:
        return {}
    first = {}
    for pk, sheet_id, budget in TargetSheet.all_objects.filter(revises_id__in=ids, revision=Revision.VERSION).order_by(
        "revises_id", "in_force_from", "id"
    ).values_list("pk", "revises_id", "budget_total"):
        first.setdefault(sheet_id, (pk, budget))
    values: dict[int, dict] = {}
    for version_id, *key, value in Indicator.objects.filter(sheet_id__in=[pk for pk, _ in first.values()]).values_list(
        "sheet_id", "category", "subcategory", "name", "target_value"
    ):
        values.setdefault(version_id, {})[tuple(key)] = value
    return {sheet_id: Original(budget, values.get(pk, {})) for sheet_id, (pk, budget) in first.items()}
