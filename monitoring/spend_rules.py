"""The year's rule pack as the spending pages, warnings and reminders grade a checkpoint (``spending.SpendRule``),
and the checkpoints a new year takes (the default pack's points, ``projects.models.new_year_points``).

Spending sits below monitoring in the layers, so it is told: ``MonitoringConfig.ready`` hands ``year_rules`` to
``spending.sources.rules_source``. A pack's ``below_plan`` points are today's rule with the pack's threshold and
its reason colours (the agency totals keep their one SQL statement); its other rules grade through ``monitoring.grading.spending_light``,
the same function the monitoring report and 处置 read, so a sheet has one spending light whichever page shows it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from core.errors import AppError
from projects.values import format_number
from spending import services as spending

from monitoring import grading, packs, selectors

# a pack's colours on the spending pages' levels (blue, far ahead, is on track there)
LEVELS = {grading.RED: spending.RED, grading.YELLOW: spending.YELLOW, grading.BLUE: spending.GREEN,
          grading.GREEN: spending.GREEN, grading.NONE: spending.GREEN}


class PackSpendRule(spending.SpendRule):
    """A pack's rule other than ``below_plan`` at one point: 四川's line (``below_line``), 山西's v (``time_ratio``)."""

    def __init__(self, pack, point: packs.Point):
        super().__init__(monitored=point.monitored)
        self.pack, self.point = pack, point

    def light(self, *, planned: Decimal, actual: Decimal) -> grading.Light:
        return grading.spending_light(self.pack, point_date=self.point.date, line=self.point.expected, planned=planned, actual=actual)

    def level(self, *, planned: Decimal, actual: Decimal) -> str:
        return LEVELS[self.light(planned=planned, actual=actual).colour]

    def reason_problem(self, *, planned: Decimal, actual: Decimal) -> str | None:
        """A 进度说明 is required where the pack's light asks for a reason (its ``reason_colours``: 四川 red, below
        the line; 山西 red and yellow, v < 80); the message says the rule and the numbers."""
        if not self.monitored:
            return None
        light = self.light(planned=planned, actual=actual)
        if not light.reason_required:
            return None
        return f"按“{self.pack.name}”监控规则，支出评为{light.label}（{light.how}），请填写进度说明（原因和措施）。"

    @property
    def reason_hint(self) -> str:
        colours = [grading.COLOUR_LABELS[c] for c in grading.COLOURS if c in (self.pack.reason_colours or ())]
        if not colours:
            return f"按“{self.pack.name}”监控规则选填：原因和加快支出的措施。"
        return f"按“{self.pack.name}”监控规则，支出评为{'、'.join(colours)}时必填：原因和加快支出的措施。"

    def reference(self, planned: Decimal) -> Decimal:
        """The % at which the sheet is on track: the line (四川), the green bound of v at the month (山西)."""
        if self.pack.spending_rule == grading.TIME_RATIO:
            green_from = Decimal(str(self.pack.spending_thresholds["yellow_below"]))
            return (green_from * self.point.date.month / 12).quantize(spending.CENT)
        return self.point.expected

    @property
    def sql_cuts(self):
        """四川's line as cut-offs of the spent % (below it: the pack's colour); 山西's v only in Python (its
        ÷ (月份/12) is rounded as ``grading`` rounds it)."""
        if not self.monitored:
            return ("off", Decimal(0), Decimal(0))
        if self.pack.spending_rule != grading.BELOW_LINE:
            return None
        line, never = self.point.expected, Decimal(-1)
        below = LEVELS[(self.pack.spending_thresholds or {}).get("colour", grading.RED)]
        return {spending.RED: ("line", line, line), spending.YELLOW: ("line", never, line)}.get(below, ("line", never, never))

    @property
    def legend(self):
        thresholds = self.pack.spending_thresholds or {}
        if self.pack.spending_rule == grading.TIME_RATIO:
            red, yellow = (format_number(Decimal(str(thresholds[name]))) for name in ("red_below", "yellow_below"))
            return (
                (spending.GREEN, f"正常（v ≥{yellow}）"), (spending.YELLOW, f"黄色预警（{red} ≤ v <{yellow}）"),
                (spending.RED, f"红色预警（v <{red}；v = 执行率 ÷ (月份/12) × 100）"),
            )
        below = LEVELS[thresholds.get("colour", grading.RED)]
        return ((spending.GREEN, "正常（不低于预警线）"), (below, f"{spending.LEVEL_LABELS[below]}（累计支出低于该节点预警线）"))

    def __eq__(self, other):
        return type(other) is type(self) and (other.pack.pk, other.point) == (self.pack.pk, self.point)

    def __hash__(self):
        return hash((type(self), self.pack.pk, self.point))


def rule_of(pack, point: packs.Point) -> spending.SpendRule:
    if pack.spending_rule == grading.BELOW_PLAN:
        limit = (pack.spending_thresholds or {}).get("yellow_max_behind", spending.YELLOW_MAX_BEHIND)
        # below the plan a light is green, yellow or red, named alike on the spending pages
        reasons = {LEVELS[c] for c in (pack.reason_colours or ()) if c in (grading.RED, grading.YELLOW, grading.GREEN)}
        return spending.SpendRule(Decimal(str(limit)), monitored=point.monitored, reason_levels=reasons)
    return PackSpendRule(pack, point)


def year_rules(year: int) -> dict[datetime.date, spending.SpendRule]:
    """{point date: its rule} of the pack ``year`` follows (one or two queries); no pack at all: today's rule."""
    try:
        pack = selectors.pack_for_year(year)
    except AppError:
        return {}
    return {point.date: rule_of(pack, point) for point in packs.points_in(pack, year)}


def new_year_points(year: int) -> list[tuple[datetime.date, Decimal]]:
    """A new year's checkpoints: the default pack's points (a year with no pack of its own follows the default
    pack, so its plans name a value for each of them); none without a default pack."""
    try:
        pack = selectors.default_pack()
    except AppError:
        return []
    return [(point.date, point.expected) for point in packs.points_in(pack, year)]
