"""What spending is told by the apps above it (monitoring, when it is ready): kept apart from ``spending.services``
so that telling it does not load the services (and the approval engine they import) in every process."""

from __future__ import annotations

import datetime
from typing import Callable

# (year) → {checkpoint date: SpendRule}: the year's rule pack, set by monitoring when it is installed (it sits above
# spending in the layers, so spending is told rather than asking); without it every checkpoint follows today's rule
_rules_source: list[Callable[[int], dict]] = []


def rules_source(source: Callable[[int], dict]) -> None:
    _rules_source[:] = [source]


def source_rules(year: int) -> dict[datetime.date, object]:
    """What the source says for ``year`` ({} without a source: today's rule everywhere)."""
    return _rules_source[0](year) if _rules_source else {}
