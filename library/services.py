"""Writes on the indicator library: rebuilding its usage from the sheets, and curation.

``library_rebuild`` and ``library_sheets_refresh`` are set-based: a handful of statements however many sheets
there are (the new entries in one bulk insert, the usage rows in one INSERT … SELECT). A rebuild counts every entry
again in one UPDATE; a refresh looks up only the names its sheets use and moves the counts by what its sheets added
and took away, so it costs the same whatever the library holds, and an edit of a draft touches no entry row.
They run after every content write and whenever a sheet is published or leaves 已公开 (``library.receivers``, on
commit), and on demand (``manage.py library_rebuild``).

What an entry of the sheets (个性指标) stores for every reader comes from published sheets only: its description,
operator, unit and reference value are those of the latest published row of its name (blank while none is
published), and ``use_count`` counts published sheets. Drafts add usage rows, read only by those who may see them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest

from core import errors
from core.db import in_values, is_postgresql
from library import permissions
from library.common import load_common
from library.models import DESCRIBED, SOURCE_SHEETS, CurationEvent, Entry, Kind, Usage
from library.pinyin import initials
from projects.models import Indicator, SheetState, TargetSheet


@transaction.atomic
def library_rebuild() -> dict:
    """Rebuild every usage row and count from all indicator rows of all sheets (and put back any entry of the shipped
    common set that is missing; curated entries are left as they are)."""
    common = load_common(Entry)
    result = _refresh(sheet_ids=None)
    result["entries_created"] += common
    return result


@transaction.atomic
def library_sheets_refresh(*, sheet_ids: Iterable[int]) -> dict:
    """Refresh the usage of these sheets only (after an edit, an import, a restore, a rollover, a publication)."""
    return _refresh(sheet_ids=sorted(set(sheet_ids)))


def _refresh(*, sheet_ids: list[int] | None) -> dict:
    # the sheets in force only: an adjustment under way or an archived version adds nothing (``TargetSheet.objects``)
    indicators = Indicator.objects.filter(sheet__revises__isnull=True)
    indicators = indicators if sheet_ids is None else indicators.filter(sheet_id__in=_many(sheet_ids))
    indicators = indicators.exclude(category="").exclude(subcategory="").exclude(name="")
    created = _entries_create(indicators, every_entry=sheet_ids is None)
    if sheet_ids is None:
        Usage.objects.all().delete()
        inserted = _usages_insert(None)
        _counts_update(None)
        _entries_describe(None)
        return {"entries_created": created, "usages": inserted}
    _sheets_lock(sheet_ids)
    old = Usage.objects.filter(sheet_id__in=_many(sheet_ids))
    before = _published_pairs(old)
    old.delete()
    inserted = _usages_insert(sheet_ids)
    after = _published_pairs(Usage.objects.filter(sheet_id__in=_many(sheet_ids)))
    _counts_add(before, after)  # last: the rows of popular entries are locked only until this commits
    _entries_describe(sheet_ids)
    return {"entries_created": created, "usages": inserted}


def _many(sheet_ids: list[int]):
    """What ``sheet_id__in=`` takes: the list as it is for an edit's few sheets (planned with their number known), one
    array parameter on PostgreSQL for a rollover's thousands (instead of a placeholder each)."""
    return sheet_ids if len(sheet_ids) <= 100 else in_values(sheet_ids, "bigint")


def _sheets_lock(sheet_ids: list[int]) -> None:
    """Two refreshes of the same sheet take turns (each reads the usage rows the other replaces); refreshes of other
    sheets do not wait. In id order, so two refreshes of overlapping sheets cannot deadlock."""
    if sheet_ids and connection.features.has_select_for_update:
        list(TargetSheet.objects.select_for_update().filter(pk__in=_many(sheet_ids)).order_by("pk").values_list("pk", flat=True))


def _published_pairs(usages) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """(entry, sheet) and (named entry, sheet) of these usage rows of published sheets: what the counts count."""
    counted, named = set(), set()
    for entry_id, named_id, sheet_id in usages.filter(published=True).values_list("entry_id", "named_entry_id", "sheet_id").distinct():
        counted.add((entry_id, sheet_id))
        if named_id is not None:
            named.add((named_id, sheet_id))
    return counted, named


def _counts_add(before, after) -> None:
    """The counts move by what these sheets added and took away (a sheet counts once per entry, however many of its
    rows use it), instead of counting every sheet of a popular entry again: an edit of a draft changes no count and
    touches no entry row; a publication adds one to each entry it uses. Entry rows are locked in id order."""
    moves: dict[tuple[str, int], int] = {}
    for field, old, new in (("use_count", before[0], after[0]), ("published_name_uses", before[1], after[1])):
        for entry_id, _sheet in new - old:
            moves[field, entry_id] = moves.get((field, entry_id), 0) + 1
        for entry_id, _sheet in old - new:
            moves[field, entry_id] = moves.get((field, entry_id), 0) - 1
    moves = {key: delta for key, delta in moves.items() if delta}
    if not moves:
        return
    ids = sorted({entry_id for _field, entry_id in moves})
    list(Entry.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    grouped: dict[tuple[str, int], list[int]] = {}
    for (field, entry_id), delta in moves.items():
        grouped.setdefault((field, delta), []).append(entry_id)
    for (field, delta), entry_ids in sorted(grouped.items()):
        # never below zero: a count that drifted (raw SQL) is put right by ``manage.py library_rebuild``
        Entry.objects.filter(pk__in=entry_ids).update(**{field: Greatest(F(field) + delta, 0)})


def _entries_create(indicators, *, every_entry: bool) -> int:
    """One entry per new (一级, 二级, 三级) seen in the sheets (what it shows is written by ``_entries_describe``, from
    published rows only). A refresh of a few sheets looks up only their names' entries (``every_entry`` for a rebuild),
    so an edit or a publication does not read the whole library."""
    keys = {
        (category.strip(), subcategory.strip(), name.strip())
        for category, subcategory, name in indicators.values_list("category", "subcategory", "name").iterator(chunk_size=5000)
    }
    if every_entry:
        existing = set(Entry.objects.values_list("category", "subcategory", "name"))
    else:
        existing = _entries_existing(keys)
    new = [
        Entry(category=c, subcategory=s, name=n, initials=initials(n), kind=Kind.SPECIFIC, source=SOURCE_SHEETS)
        for c, s, n in sorted(keys - existing)
    ]
    Entry.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    return len(new)


def _entries_existing(keys: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """Which of these (一级, 二级, 三级) have an entry. PostgreSQL: one statement, the keys as three parallel array
    parameters joined to the table on its unique key (a rollover of 1,000 agencies: ~19,000 keys). Elsewhere (the
    SQLite demo): the entries of those names, a chunk of names at a time, matched in Python."""
    if not keys:
        return set()
    if is_postgresql():
        categories, subcategories, names = (list(column) for column in zip(*keys))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.category, e.subcategory, e.name FROM {Entry._meta.db_table} e "
                "JOIN unnest(%s::text[], %s::text[], %s::text[]) AS k(category, subcategory, name) "
                "ON e.category = k.category AND e.subcategory = k.subcategory AND e.name = k.name",
                [categories, subcategories, names],
            )
            return set(cursor.fetchall())
    existing, names = set(), sorted({name for _category, _subcategory, name in keys})
    for start in range(0, len(names), 500):
        rows = Entry.objects.filter(name__in=names[start:start + 500]).values_list("category", "subcategory", "name")
        existing |= {row for row in rows if row in keys}
    return existing


def _entries_describe(sheet_ids: list[int] | None) -> None:
    """An entry of the sheets takes the description, operator, unit and value of the latest published row of its name
    among these sheets (after a publication: the one just published), in one UPDATE … FROM; the common set keeps its
    own. A rebuild (``sheet_ids`` None) reads every published row, and clears the entries no published sheet uses
    (run after ``_counts_update``, which counts those)."""
    entry, indicator = Entry._meta.db_table, Indicator._meta.db_table
    sheet, year = "projects_targetsheet", "projects_fiscalyear"
    where, params = "", [SheetState.PUBLISHED, Kind.SPECIFIC]
    if sheet_ids is None:
        blank = {name: "" for name in DESCRIBED}
        Entry.objects.filter(kind=Kind.SPECIFIC, published_name_uses=0).exclude(**blank).update(**blank)
    elif not sheet_ids:
        return
    else:
        where, ids = _sheets_where(sheet_ids)
        params += ids
    changed = " OR ".join(f"{entry}.{name} <> x.{name}" for name in DESCRIBED)
    sql = (
        f"UPDATE {entry} SET description = x.description, value_operator = x.value_operator, value_unit = x.value_unit, "
        f"example_value = x.example_value FROM (SELECT e.id, i.description, i.value_operator, i.value_unit, "
        f"i.target_value AS example_value, ROW_NUMBER() OVER (PARTITION BY e.id ORDER BY y.year DESC, i.id DESC) AS n "
        f"FROM {indicator} i JOIN {sheet} s ON s.id = i.sheet_id AND s.state = %s AND s.revises_id IS NULL "
        f"JOIN {year} y ON y.id = s.fiscal_year_id "
        f"JOIN {entry} e ON e.category = TRIM(i.category) AND e.subcategory = TRIM(i.subcategory) AND e.name = TRIM(i.name) "
        f"AND e.kind = %s WHERE 1 = 1{where}) x WHERE {entry}.id = x.id AND x.n = 1 AND ({changed})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _sheets_where(sheet_ids: list[int]) -> tuple[str, list]:
    """``AND i.sheet_id`` among these: one array parameter on PostgreSQL (a rollover's thousands of sheets), a
    placeholder each elsewhere."""
    if is_postgresql():
        return " AND i.sheet_id = ANY(%s::bigint[])", [list(sheet_ids)]
    return f" AND i.sheet_id IN ({', '.join(['%s'] * len(sheet_ids))})", list(sheet_ids)


def _usages_insert(sheet_ids: list[int] | None) -> int:
    """INSERT … SELECT: each indicator row to its entry (a merged entry's rows go to the entry kept), with the entry
    of its own name and whether its sheet is published."""
    usage, entry = Usage._meta.db_table, Entry._meta.db_table
    indicator = Indicator._meta.db_table
    sheet, year = "projects_targetsheet", "projects_fiscalyear"
    where, params = "", [SheetState.PUBLISHED]
    if sheet_ids is not None:
        if not sheet_ids:
            return 0
        where, ids = _sheets_where(sheet_ids)
        params += ids
    sql = (
        f"INSERT INTO {usage} (entry_id, named_entry_id, sheet_id, year, target_value, published) "
        f"SELECT COALESCE(e.merged_into_id, e.id), e.id, i.sheet_id, y.year, i.target_value, s.state = %s "
        f"FROM {indicator} i JOIN {entry} e ON e.category = TRIM(i.category) AND e.subcategory = TRIM(i.subcategory) "
        f"AND e.name = TRIM(i.name) JOIN {sheet} s ON s.id = i.sheet_id AND s.revises_id IS NULL "
        f"JOIN {year} y ON y.id = s.fiscal_year_id "
        f"WHERE 1 = 1{where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _counts_update(entry_ids: set[int] | None) -> None:
    """use_count: the distinct published sheets using the entry (with its merged duplicates); published_name_uses:
    those using its very name."""

    def published(field: str):
        rows = Usage.objects.filter(**{field: OuterRef("pk")}, published=True).order_by().values(field)
        return Coalesce(Subquery(rows.annotate(n=Count("sheet", distinct=True)).values("n")), 0)

    entries = Entry.objects.all() if entry_ids is None else Entry.objects.filter(pk__in=entry_ids)
    entries.update(use_count=published("entry"), published_name_uses=published("named_entry"))


# ---------------------------------------------------------------- curation


def _curated(entry: Entry, *, user, action: str, note: str = "", other: Entry | None = None) -> CurationEvent:
    return CurationEvent.objects.create(entry=entry, action=action, actor=user, note=note, other=other)


def _locked(entry: Entry) -> Entry:
    return Entry.objects.select_for_update().get(pk=entry.pk)


@transaction.atomic
def entry_recommend(*, entry: Entry, user, recommended: bool = True) -> Entry:
    permissions.ensure_curator(user)
    entry = _locked(entry)
    if entry.retired:
        raise errors.conflict(f"“{entry.name}”已停用，不能设为推荐。")
    if entry.recommended == recommended:
        return entry
    entry.recommended = recommended
    entry.save(update_fields=["recommended", "updated"])
    _curated(entry, user=user, action=CurationEvent.Action.RECOMMEND if recommended else CurationEvent.Action.UNRECOMMEND)
    return entry


@transaction.atomic
def entry_retire(*, entry: Entry, user, note: str = "", retired: bool = True) -> Entry:
    permissions.ensure_curator(user)
    entry = _locked(entry)
    if entry.retired == retired:
        raise errors.conflict(f"“{entry.name}”{'已经停用' if retired else '没有停用'}。")
    if not retired and entry.merged_into_id:
        raise errors.conflict(f"“{entry.name}”已合并到“{entry.merged_into.name}”，不能单独恢复。")
    entry.retired = retired
    entry.recommended = False if retired else entry.recommended
    entry.save(update_fields=["retired", "recommended", "updated"])
    _curated(entry, user=user, action=CurationEvent.Action.RETIRE if retired else CurationEvent.Action.RESTORE, note=note)
    return entry


@transaction.atomic
def entries_merge(*, duplicate: Entry, keep: Entry, user, note: str = "") -> Entry:
    """``duplicate`` is retired and points at ``keep``; its usage (and that of entries merged into it) moves to ``keep``."""
    permissions.ensure_curator(user)
    if duplicate.pk == keep.pk:
        raise errors.invalid("不能把条目合并到它自己。")
    locked = {e.pk: e for e in Entry.objects.select_for_update().filter(pk__in=[duplicate.pk, keep.pk])}
    duplicate, keep = locked[duplicate.pk], locked[keep.pk]
    if keep.retired:
        raise errors.conflict(f"保留的条目“{keep.name}”已停用，请选择一个在用的条目。")
    if duplicate.merged_into_id:
        raise errors.conflict(f"“{duplicate.name}”已合并到其他条目。")
    if (duplicate.category, duplicate.subcategory) != (keep.category, keep.subcategory):
        raise errors.invalid(
            f"只能合并同一类别的条目：“{duplicate.name}”属于{duplicate.category}/{duplicate.subcategory}，"
            f"“{keep.name}”属于{keep.category}/{keep.subcategory}。"
        )
    Entry.objects.filter(Q(pk=duplicate.pk) | Q(merged_into=duplicate)).update(merged_into=keep, retired=True, recommended=False)
    Usage.objects.filter(entry=duplicate).update(entry=keep)
    _counts_update({duplicate.pk, keep.pk})
    _curated(duplicate, user=user, action=CurationEvent.Action.MERGE, other=keep, note=note)
    keep.refresh_from_db()
    return keep
