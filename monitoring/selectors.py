"""Reads: which rule pack a year uses."""

from __future__ import annotations

from core import errors

from monitoring.models import RulePack, YearRulePack


def default_pack() -> RulePack:
    pack = RulePack.objects.filter(is_default=True).first()
    if pack is None:
        raise errors.conflict("没有默认监控规则包：请在后台“监控规则包”中把一个规则包设为默认。", code="no_default_pack")
    return pack


def year_choice(year: int) -> YearRulePack | None:
    """The year's latest recorded choice, or None when it never chose (it then uses the default pack)."""
    return YearRulePack.objects.select_related("pack", "chosen_by").filter(fiscal_year__year=year).first()


def pack_for_year(year: int) -> RulePack:
    """The pack a year's monitoring follows: its latest choice, else the default pack."""
    choice = year_choice(year)
    return choice.pack if choice is not None else default_pack()


def pack_by_code(code: str) -> RulePack:
    pack = RulePack.objects.filter(code=(code or "").strip()).first()
    if pack is None:
        known = "、".join(RulePack.objects.values_list("code", flat=True))
        raise errors.not_found(f"没有代码为“{code}”的监控规则包（现有：{known}）。")
    return pack
