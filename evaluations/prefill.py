"""Where a new self-evaluation's 实际完成值 come from besides the sheet: providers registered by the apps above
``evaluations`` (the layers let them read it, not the other way round).

A provider is ``provider(sheet) -> {indicator id: value as typed}``, e.g. the current values (当前完成值) of the sheet's
last approved monitoring report; ``monitoring`` registers it from its ``AppConfig.ready``:

    from evaluations import prefill
    prefill.register(monitoring.selectors.last_current_values)

``actual_values`` keeps only what scores as typed against the row's 指标值 (a quantitative value in the target's unit):
anything else is left for the evaluator to type, never refused at creation.
"""

from __future__ import annotations

from decimal import Decimal

from core import errors
from evaluations import scorecard, scoring

_providers: list = []


def register(provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def unregister(provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def actual_values(sheet, indicators) -> dict[int, str]:
    """{indicator id: 实际完成值} for the quantitative ``indicators`` of ``sheet`` a provider knows a value of that
    scores against the indicator's 指标值 (later providers override earlier ones)."""
    found: dict[int, str] = {}
    for provider in _providers:
        found.update({pk: str(value).strip() for pk, value in (provider(sheet) or {}).items() if value not in (None, "")})
    values = {}
    for indicator in indicators:
        value = found.get(indicator.pk)
        if not value:
            continue
        if scorecard.rule_of(indicator.target_value) == scoring.QUALITATIVE:
            continue  # a qualitative row takes a level and a score, which only the evaluator gives
        row = scoring.IndicatorRow(indicator.name, indicator.category, indicator.target_value, actual=value)
        try:
            scoring.row_score(row, weight=Decimal(1))
        except errors.AppError:  # another unit, or not a number: the evaluator types it
            continue
        values[indicator.pk] = value
    return values
