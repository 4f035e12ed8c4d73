"""Reads on the indicator library: browsing, type-ahead suggestions, usage a user may see, last year's value."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from library.common import category_order, framework
from library.models import Entry, Kind, Usage
from library.pinyin import looks_like_initials
from projects import values
from projects.models import Indicator
from workflow.permissions import visible_sheets

SUGGEST_LIMIT = 12
BROWSE_LIMIT = 300


def _ranked(queryset: QuerySet) -> QuerySet:
    """Recommended first, then the common set, then the most used."""
    common_first = Case(When(kind=Kind.COMMON, then=Value(0)), default=Value(1), output_field=IntegerField())
    return queryset.annotate(common_first=common_first).order_by("-recommended", "common_first", "-use_count", "name", "id")


def _matching(queryset: QuerySet, query: str) -> QuerySet:
    query = (query or "").strip()[:100]
    if not query:
        return queryset
    condition = Q(name__icontains=query) | Q(description__icontains=query)
    if looks_like_initials(query):
        condition |= Q(initials__contains=query.lower())
    return queryset.filter(condition)


def entries_browse(*, category: str = "", subcategory: str = "", query: str = "", include_retired: bool = False) -> QuerySet:
    queryset = Entry.objects.all() if include_retired else Entry.objects.filter(retired=False)
    if category:
        queryset = queryset.filter(category=category)
    if subcategory:
        queryset = queryset.filter(subcategory=subcategory)
    return _ranked(_matching(queryset, query)).select_related("merged_into")


def groups(entries) -> list[dict]:
    """Entries grouped by (一级, 二级) in the form's order (categories outside the framework last)."""
    order = category_order()
    grouped: dict[tuple[str, str], list] = {}
    for entry in entries:
        grouped.setdefault((entry.category, entry.subcategory), []).append(entry)
    keys = sorted(grouped, key=lambda k: (order.get(k, len(order)), k))
    return [{"category": c, "subcategory": s, "entries": grouped[(c, s)]} for c, s in keys]


def categories() -> list[dict]:
    """The framework's categories plus any others seen in the library, for the filters."""
    result = [{"category": g["category"], "subcategories": list(g["subcategories"])} for g in framework()]
    known = {(g["category"], s) for g in result for s in g["subcategories"]}
    for category, subcategory in Entry.objects.filter(retired=False).values_list("category", "subcategory").distinct().order_by("category", "subcategory"):
        if (category, subcategory) in known:
            continue
        group = next((g for g in result if g["category"] == category), None)
        if group is None:
            group = {"category": category, "subcategories": []}
            result.append(group)
        group["subcategories"].append(subcategory)
        known.add((category, subcategory))
    return result


def usages_visible(user, entries, *, per_entry: int = 6) -> dict[int, list[Usage]]:
    """The latest uses of each entry, of sheets ``user`` may see (one query)."""
    ids = [e.pk for e in entries]
    if not ids:
        return {}
    sheets = visible_sheets(user).values("pk")
    rows = (
        Usage.objects.filter(entry_id__in=ids, sheet_id__in=sheets)
        .select_related("sheet__project")
        .order_by("entry_id", "-year", "sheet_id")
    )
    result: dict[int, list[Usage]] = {}
    for usage in rows[: len(ids) * 50]:
        bucket = result.setdefault(usage.entry_id, [])
        if len(bucket) < per_entry:
            bucket.append(usage)
    return result


def suggestions(*, category: str, subcategory: str = "", query: str = "", limit: int = SUGGEST_LIMIT) -> list[Entry]:
    return list(entries_browse(category=category, subcategory=subcategory, query=query)[:limit])


def last_year_values(sheet, names: list[str]) -> dict[str, str]:
    """{三级指标: 指标值} of the same project's sheet of the year before (by name), for the names given."""
    if sheet is None or not names:
        return {}
    rows = (
        Indicator.objects.filter(
            sheet__project_id=sheet.project_id, sheet__fiscal_year__year=sheet.fiscal_year.year - 1, name__in=names,
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
