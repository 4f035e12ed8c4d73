"""Reads on the indicator library: browsing, type-ahead suggestions, usage a user may see, last year's value.

Every read is of the entries the reader may see (``entries_visible``): the common set, and the entries of the sheets
whose name is used by a sheet the reader may see (a published one, or one of their roles' scopes, as
``workflow.permissions.visible_documents`` decides). Values shown are those of such sheets only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import BigIntegerField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan

from core.db import in_values
from library.common import category_order, framework
from library.models import DESCRIBED, Entry, Kind, Usage
from library.pinyin import looks_like_initials
from people import roles
from projects import values
from projects.models import Indicator, TargetSheet
from people.roles import SHEET_ROLES
from workflow.permissions import visible_documents, visible_unfinished_documents

SUGGEST_LIMIT = 12
BROWSE_LIMIT = 300
NOT_LISTED = ("initials", "source", "published_name_uses", "created", "updated")  # what /library/'s rows never show


def _ranked(queryset: QuerySet) -> QuerySet:
    """Recommended first, then the common set ("common" sorts before "specific"), then the most used: the order of
    the index ``library_entry_rank``, so a category's first rows are read without sorting it."""
    return queryset.order_by("-recommended", "kind", "-use_count", "name", "id")


TRIGRAM = 3  # a text this long is looked up on the trigram indexes (migration 0004); a shorter one has no trigram


def _holds(field: str, text, *, any_case: bool = True) -> Q:
    """``field`` holds ``text``: ``icontains`` (``contains``) from three characters on, on its trigram index; a
    shorter text (one or two keystrokes) as a plain position test, which the trigram index cannot answer and so the
    planner never asks it (it would read the whole index): the category's entries are walked in rank order on
    ``library_entry_rank`` instead, and the first twelve found end the walk. Both say the same: the text, in any
    case, anywhere in the field."""
    if len(text) >= TRIGRAM:
        return Q(**{f"{field}__{'icontains' if any_case else 'contains'}": text})
    haystack, needle = (Upper(field), Upper(Value(text))) if any_case else (F(field), Value(text))
    return Q(GreaterThan(StrIndex(haystack, needle), 0))


def _matching(queryset: QuerySet, query: str) -> QuerySet:
    query = (query or "").strip()[:100]
    if not query:
        return queryset
    condition = _holds("name", query) | _holds("description", query)
    if looks_like_initials(query):
        condition |= _holds("initials", query.lower(), any_case=False)
    return queryset.filter(condition)


def entries_visible(user, queryset: QuerySet | None = None) -> QuerySet:
    """The entries ``user`` may see: the shipped common set, and an entry of the sheets when a sheet ``user`` may see
    uses its name (``Usage.named_entry``).

    Bounded however many sheets use an entry: how many published sheets use its name is kept with the entry
    (``published_name_uses``), so nobody reads usage rows for those; for an entry no published sheet uses, a person
    with a role looks up the rows of its name (``library_usage_named``) for a sheet of theirs. Row by row on purpose
    (``OFFSET 0`` keeps PostgreSQL from turning the EXISTS into a set): the set of every row on a province finance
    reviewer's unpublished sheets is read whole, or, too big to hash, scanned again for every entry."""
    queryset = Entry.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    visible = Q(kind=Kind.COMMON) | Q(published_name_uses__gt=0)
    if any(roles.holds_any(user, role) for role in SHEET_ROLES):
        unpublished = visible_unfinished_documents(user, TargetSheet.objects.all()).values("pk")
        named = Usage.objects.filter(named_entry=OuterRef("pk"), sheet_id__in=unpublished)
        visible |= Exists(named, template="EXISTS(%(subquery)s OFFSET 0)")  # row by row, never hashed (as _GrantOn)
    return queryset.filter(visible)


def entries_browse(user, *, category: str = "", subcategory: str = "", query: str = "", include_retired: bool = False) -> QuerySet:
    queryset = Entry.objects.all() if include_retired else Entry.objects.filter(retired=False)
    queryset = entries_visible(user, queryset)
    if category:
        queryset = queryset.filter(category=category)
    if subcategory:
        queryset = queryset.filter(subcategory=subcategory)
    return _ranked(_matching(queryset, query))


def groups(entries) -> list[dict]:
    """Entries grouped by (一级, 二级) in the form's order (categories outside the framework last)."""
    order = category_order()
    grouped: dict[tuple[str, str], list] = {}
    for entry in entries:
        grouped.setdefault((entry.category, entry.subcategory), []).append(entry)
    keys = sorted(grouped, key=lambda k: (order.get(k, len(order)), k))
    return [{"category": c, "subcategory": s, "entries": grouped[(c, s)]} for c, s in keys]


def _groups_in_use() -> set[tuple[str, str]]:
    """Every (一级, 二级) of an entry in use (not retired). On PostgreSQL a skip scan of ``library_entry_group``: one
    index probe per group (tens), never the 30,000 entries; elsewhere the plain DISTINCT."""
    if connection.vendor != "postgresql":
        return set(Entry.objects.filter(retired=False).values_list("category", "subcategory").distinct().order_by())
    table = Entry._meta.db_table
    sql = f"""
        WITH RECURSIVE groups(category, subcategory) AS (
            (SELECT category, subcategory FROM {table} WHERE NOT retired ORDER BY category, subcategory LIMIT 1)
            UNION ALL
            SELECT later.category, later.subcategory FROM groups CROSS JOIN LATERAL (
                SELECT e.category, e.subcategory FROM {table} e
                WHERE NOT e.retired AND (e.category, e.subcategory) > (groups.category, groups.subcategory)
                ORDER BY e.category, e.subcategory LIMIT 1
            ) later
        )
        SELECT category, subcategory FROM groups"""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {(category, subcategory) for category, subcategory in cursor.fetchall()}


def categories(user) -> list[dict]:
    """The framework's categories plus any others seen in the entries ``user`` may see, for the filters.

    The others are looked for only among the groups in use outside the framework (``_groups_in_use``: usually none),
    so the entries are not read to find them."""
    result = [{"category": g["category"], "subcategories": list(g["subcategories"])} for g in framework()]
    known = {(g["category"], s) for g in result for s in g["subcategories"]}
    outside = sorted(_groups_in_use() - known)
    if not outside:
        return result
    wanted = Q(pk__in=[])
    for category, subcategory in outside:
        wanted |= Q(category=category, subcategory=subcategory)
    others = entries_visible(user, Entry.objects.filter(wanted, retired=False))
    for category, subcategory in others.values_list("category", "subcategory").distinct().order_by("category", "subcategory"):
        group = next((g for g in result if g["category"] == category), None)
        if group is None:
            group = {"category": category, "subcategories": []}
            result.append(group)
        group["subcategories"].append(subcategory)
    return result


def _usages_of_visible_sheets(user) -> QuerySet:
    """Usage rows of sheets ``user`` may see, checked row by row on the sheet's key (never the set of every visible
    sheet, which is the province for a finance reviewer): what a top-N walk of an entry's index stops early on."""
    usages = Usage.objects.all()
    if user.is_superuser:
        return usages
    sheets = visible_documents(user, TargetSheet.objects.all()).filter(pk=OuterRef("sheet_id"))
    return usages.filter(Exists(sheets, template="EXISTS(%(subquery)s OFFSET 0)"))


@dataclass(frozen=True, slots=True)
class Use:
    """One use of an entry as the pages show it (a row of ``Usage``, read as values: a page shows 900 of them)."""

    pk: int
    entry_id: int
    sheet_id: int
    year: int
    target_value: str
    project_name: str


def usages_visible(user, entries, *, per_entry: int = 6) -> dict[int, list[Use]]:
    """The latest uses of each entry (latest year first, then by sheet), of sheets ``user`` may see: at most
    ``per_entry`` rows read per entry, however many sheets use it: the ids of each entry's top rows, walked on
    ``library_usage_entry_year`` (the sheet checked row by row, ``_usages_of_visible_sheets``), and those rows with
    their project's name, as values (no model objects: a page shows 900), in one query on PostgreSQL."""
    ids = [e.pk for e in entries]
    if not ids or per_entry < 1:
        return {}
    visible = _usages_of_visible_sheets(user).order_by("-year", "sheet_id")
    fields = ("pk", "entry_id", "sheet_id", "year", "target_value", "sheet__project__name")  # what the pages show
    order = ("entry_id", "-year", "sheet_id")
    if len(ids) == 1:
        picked = visible.filter(entry_id=ids[0]).values("pk")[:per_entry]
    elif connection.vendor == "postgresql":  # one walk of each entry's index for its top rows, not one per row
        from django.contrib.postgres.expressions import ArraySubquery

        latest = ArraySubquery(visible.filter(entry_id=OuterRef("pk")).values("pk")[:per_entry])
        tops = Func(latest, function="unnest", output_field=BigIntegerField())
        picked = Entry.objects.filter(pk__in=in_values(ids, "bigint")).values(top=tops)  # the rows in the same query
    else:
        latest = visible.filter(entry_id=OuterRef("pk")).values("pk")
        tops = {f"top{k}": Subquery(latest[k:k + 1]) for k in range(per_entry)}
        picked = [pk for row in Entry.objects.filter(pk__in=ids).annotate(**tops).values_list(*tops) for pk in row if pk]
    rows = Usage.objects.filter(pk__in=picked).order_by(*order).values_list(*fields)
    result: dict[int, list[Use]] = {}
    for row in rows:
        use = Use(*row)
        result.setdefault(use.entry_id, []).append(use)
    return result


def entries_described(user, entries, usages: dict[int, list[Use]] | None = None) -> None:
    """An entry of the sheets that no published row describes yet (used by drafts only) takes the description,
    operator, unit and value of the latest row of its name on a sheet ``user`` may see (``usages``: the entries'
    visible usages, read here when not given). Set on the objects, nothing is saved; one query for the rows."""
    blank = [e for e in entries if e.kind == Kind.SPECIFIC and not any(getattr(e, name) for name in DESCRIBED)]
    if not blank:
        return
    if usages is None:
        usages = usages_visible(user, blank, per_entry=3)
    sheet_ids = {u.sheet_id for e in blank for u in usages.get(e.pk, [])}
    if not sheet_ids:
        return
    rows = Indicator.objects.filter(sheet_id__in=sheet_ids, name__in={e.name for e in blank}).values_list(
        "sheet_id", "category", "subcategory", "name", "description", "value_operator", "value_unit", "target_value"
    )
    found = {(sheet_id, c.strip(), s.strip(), n.strip()): values for sheet_id, c, s, n, *values in rows}
    for entry in blank:
        for usage in usages.get(entry.pk, []):
            values = found.get((usage.sheet_id, entry.category, entry.subcategory, entry.name))
            if values is not None:
                for name, value in zip(DESCRIBED, values):
                    setattr(entry, name, value)
                break


def visible_by_id(user, ids) -> dict[int, Entry]:
    """Of these entry ids (those merged into, say), the entries ``user`` may see: one query, none for no ids."""
    ids = {pk for pk in ids if pk}
    return entries_visible(user, Entry.objects.filter(pk__in=ids)).in_bulk() if ids else {}


def suggestions(user, *, category: str, subcategory: str = "", query: str = "", limit: int = SUGGEST_LIMIT) -> list[Entry]:
    entries = list(entries_browse(user, category=category, subcategory=subcategory, query=query)[:limit])
    entries_described(user, entries)
    return entries


def last_year_values(user, sheet, names: list[str]) -> dict[str, str]:
    """{三级指标: 指标值} of the same project's sheet of the year before (by name, if ``user`` may see it), for the
    names given."""
    if sheet is None or not names:
        return {}
    rows = (
        Indicator.objects.filter(
            sheet__project_id=sheet.project_id, sheet__fiscal_year__year=sheet.fiscal_year.year - 1, name__in=names,
            sheet_id__in=visible_documents(user, TargetSheet.objects.all()).values("pk"),
        )
        .order_by("order", "id")
        .values_list("name", "target_value")
    )
    found: dict[str, str] = {}
    for name, value in rows:
        found.setdefault(name, value)
    return found


def entry_as_dict(entry: Entry, *, last_year: str | None = None) -> dict:
    return {
        "id": entry.pk,
        "category": entry.category,
        "subcategory": entry.subcategory,
        "name": entry.name,
        "description": entry.description,
        "operator": values.OPERATOR_SYMBOLS.get(entry.value_operator, entry.value_operator),
        "unit": entry.value_unit,
        "example_value": entry.example_value,
        "kind": entry.get_kind_display(),
        "recommended": entry.recommended,
        "use_count": entry.use_count,
        "source": entry.source,
        "last_year_value": last_year,
    }
