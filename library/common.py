"""The curated common set (共性指标) shipped as data: ``library/fixtures/common_indicators.json``."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "common_indicators.json"


@lru_cache(maxsize=1)
def common_set() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def framework() -> list[dict]:
    """[{"category": 一级, "subcategories": [二级…], "required": bool}] in the form's order."""
    return common_set()["categories"]


def category_order() -> dict[tuple[str, str], int]:
    order, n = {}, 0
    for group in framework():
        for subcategory in group["subcategories"]:
            order[(group["category"], subcategory)] = n
            n += 1
    return order


def load_common(entry_model) -> int:
    """Create the missing common entries (recommended, kind common, with their source); existing names are left alone."""
    from library.pinyin import initials
    from projects import values

    existing = set(entry_model.objects.values_list("category", "subcategory", "name"))
    missing = []
    for item in common_set()["entries"]:
        if (item["category"], item["subcategory"], item["name"]) in existing:
            continue
        parsed = values.parse_target_value(item["example_value"])
        missing.append(entry_model(
            category=item["category"], subcategory=item["subcategory"], name=item["name"],
            description=item["description"], example_value=item["example_value"],
            value_operator=parsed.operator, value_unit=parsed.unit, initials=initials(item["name"]),
            kind="common", source=item["source"], recommended=True,
        ))
    entry_model.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)
