from dataclasses import dataclass

from django import template

from projects.values import format_number

register = template.Library()


@dataclass
class MergedRow:
    indicator: object
    category_span: int  # 0: covered by the cell above
    subcategory_span: int


@register.filter
def merged_rows(indicators):
    """Rows with the rowspans of the merged 一级/二级 cells, as in the official table."""
    rows = list(indicators)
    merged = []
    for index, row in enumerate(rows):
        merged.append(MergedRow(row, _span(rows, index, ("category",)), _span(rows, index, ("category", "subcategory"))))
    return merged


def _span(rows, index, fields) -> int:
    key = [getattr(rows[index], f) for f in fields]
    if index and [getattr(rows[index - 1], f) for f in fields] == key:
        return 0
    span = 1
    while index + span < len(rows) and [getattr(rows[index + span], f) for f in fields] == key:
        span += 1
    return span


@register.filter
def percent(value):
    return "" if value is None else f"{format_number(value)}%"


@register.filter
def plan_span(columns, points):
    """colspan for the last checkpoint cell so the plan rows fill the table's six value columns."""
    return max(1, columns - 1 - (len(points) - 1))


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key, [])
