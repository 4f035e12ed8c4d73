"""Reads: which rule pack a year uses."""

from __future__ import annotations

from django.db.models import Subquery
from django.http import Http404

from core import errors
from core.db import is_postgresql, prepared_cursor
from people.roles import Role
from projects.models import SheetState, TargetSheet
from workflow import flow
from workflow.documents import chain_of

from monitoring.models import Disposal, MonitoringReport, MonitoringRow, RulePack, YearRulePack


def default_pack() -> RulePack:
    pack = RulePack.objects.filter(is_default=True).first()
    if pack is None:
        raise errors.conflict("没有默认监控规则包：请在后台“监控规则包”中把一个规则包设为默认。", code="no_default_pack")
    return pack


def year_choice(year: int) -> YearRulePack | None:
    """The year's latest recorded choice, or None when it never chose (it then uses the default pack)."""
    return YearRulePack.objects.select_related("pack", "chosen_by").filter(fiscal_year__year=year).first()


# The pack a year follows, with the year's id: its latest choice, else the default pack (a year that does not exist
# follows the default, its id NULL). A fixed statement, nothing compiled per request: every page, notice and
# reminder of a year reads it (the ORM's version of it cost more to build than to run).
_PACK_SQL = """
    SELECT p.*, y.id AS year_id
    FROM monitoring_rulepack p
    LEFT JOIN projects_fiscalyear y ON y.year = %s
    WHERE p.id = COALESCE(
        (SELECT c.pack_id FROM monitoring_yearrulepack c WHERE c.fiscal_year_id = y.id
         ORDER BY c.chosen_at DESC, c.id DESC LIMIT 1),
        (SELECT d.id FROM monitoring_rulepack d WHERE d.is_default))
"""


def pack_and_year_id(year: int) -> tuple[RulePack, int | None]:
    """(``pack_for_year``, the year's id or None when it does not exist) in one query: a page filters its sheets by
    the id as a constant (PostgreSQL plans a join to the year, or a subquery of it, worse on a province)."""
    pack = next(iter(RulePack.objects.raw(_PACK_SQL, [year])), None)
    if pack is None:  # no choice and no default pack
        return default_pack(), None
    return pack, pack.year_id


def pack_for_year(year: int) -> RulePack:
    """The pack a year's monitoring follows: its latest choice, else the default pack (one query: every page and
    notice of the year reads it)."""
    return pack_and_year_id(year)[0]


def pack_by_code(code: str) -> RulePack:
    pack = RulePack.objects.filter(code=(code or "").strip()).first()
    if pack is None:
        known = "、".join(RulePack.objects.values_list("code", flat=True))
        raise errors.not_found(f"没有代码为“{code}”的监控规则包（现有：{known}）。")
    return pack


# ---------------------------------------------------------------- who sees the monitoring of a sheet

MONITOR_ROLES = (Role.STAFF, Role.SECTION_HEAD, Role.LEADER, Role.FINANCE_REVIEWER)


def can_monitor(user, sheet) -> bool:
    """May ``user`` read the monitoring of ``sheet`` (its reports and 处置)? Its section's staff and head, its agency's
    leaders and finance reviewers, superusers: a published sheet is public, its monitoring is not."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(flow.holds(user, role, sheet) for role in MONITOR_ROLES)


def can_see(user, document) -> bool:
    """A monitoring document (report or 处置): its chain's roles in the states the chain shows them (finance from its
    step on), done ones included, never everyone (unlike a published sheet)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    chain = chain_of(document)
    for role in chain.roles:
        states = chain.visible_states(role)
        if (states is None or document.state in states) and flow.holds(user, role, document):
            return True
    return False


def sheet_for_monitoring(user, pk) -> TargetSheet:
    """The published sheet ``pk`` if ``user`` may read its monitoring; 404 otherwise (nothing is revealed)."""
    sheet = TargetSheet.objects.select_related("project", "fiscal_year", "agency", "section").filter(pk=pk).first()
    if sheet is None or not can_monitor(user, sheet):
        raise Http404("没有找到这张绩效目标表。")
    return sheet


def reports_of(sheet) -> dict:
    """{point date: report} of the sheet (one query, the rows prefetched)."""
    queryset = (
        MonitoringReport.objects.filter(sheet=sheet)
        .select_related(*MonitoringReport.approval_related, "pack", "updated_by").prefetch_related("rows")
    )
    return {report.point_date: report for report in queryset}


def report_for(user, sheet, point_date) -> MonitoringReport | None:
    report = reports_of(sheet).get(point_date)
    if report is not None and not can_see(user, report):
        raise Http404("没有找到这张运行监控表。")
    return report


def disposal_for(user, pk) -> Disposal:
    disposal = Disposal.objects.select_related(*Disposal.approval_related, "pack", "adjustment").filter(pk=pk).first()
    if disposal is None or not can_see(user, disposal):
        raise Http404("没有找到这项监控处置。")
    return disposal


def open_disposals(sheet_ids) -> dict:
    """{sheet id: its latest 处置 not yet done} of the sheets (one query)."""
    found = {}
    for disposal in (
        Disposal.objects.filter(sheet_id__in=list(sheet_ids)).exclude(state=SheetState.PUBLISHED)
        .order_by("sheet_id", "-point_date")
    ):
        found.setdefault(disposal.sheet_id, disposal)
    return found


def open_consequences(sheet_ids) -> dict[int, str]:
    """{sheet id: the consequence (暂停执行) recorded by its latest 处置 not yet done} of the sheets with one, for the
    sheet list: one read of two values a row. On PostgreSQL a fixed statement on one array of ids (prepared: planned
    once; the ORM built and compiled it on every page for more than its run); elsewhere the same read by the ORM."""
    sheet_ids = list(sheet_ids)
    if not sheet_ids:
        return {}
    if is_postgresql():
        with prepared_cursor() as cursor:
            cursor.execute(_CONSEQUENCES_SQL, [sheet_ids, SheetState.PUBLISHED.value])
            rows = cursor.fetchall()
    else:
        rows = (
            Disposal.objects.filter(sheet_id__in=sheet_ids).exclude(state=SheetState.PUBLISHED)
            .order_by("sheet_id", "-point_date").values_list("sheet_id", "consequence")
        )
    latest = {}
    for sheet_id, consequence in rows:
        latest.setdefault(sheet_id, consequence)
    return {pk: consequence for pk, consequence in latest.items() if consequence}


_CONSEQUENCES_SQL = (
    f"SELECT sheet_id, consequence FROM {Disposal._meta.db_table} WHERE sheet_id = ANY(%s) AND state <> %s"
    " ORDER BY sheet_id, point_date DESC"
)


def last_current_values(sheet) -> dict[int, str]:
    """{indicator id: 当前完成值} of the sheet's last approved (已办结) monitoring report, for a new self-evaluation's
    实际完成值 (``evaluations.prefill``, which keeps those that score against the 指标值): one query."""
    last = MonitoringReport.objects.filter(sheet_id=sheet.pk, state=MonitoringReport.approval_chain.done).order_by("-point_date")
    rows = MonitoringRow.objects.filter(report=Subquery(last.values("pk")[:1]), indicator__isnull=False).exclude(current="")
    return dict(rows.values_list("indicator_id", "current"))
