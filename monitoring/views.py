"""The monitoring pages under a sheet: its points (each report's lights), the report form (graded on save, the rule
and numbers beside each light) and its moves; the 处置 page (the decision) and its moves."""

from __future__ import annotations

import datetime
import io
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import AppError
from monitoring import county, grading, reporting, selectors, services, xlsx
from monitoring import word
from monitoring.models import DISPOSAL_CHAIN, REPORT_CHAIN, Likelihood, MonitoringReport, ReasonKind
from monitoring.serializers import represent, represent_disposal
from projects.models import FiscalYear
from workflow import flow, permissions
from workflow import selectors as workflow_selectors
from workflow import services as moves
from workflow.documents import chain_of

ROW_INPUTS = ("current", "level", "forecast", "likelihood", "reason_kind", "reason_note", "measures")
MOVES = {
    "submit": (moves.document_submit, "已提交{first}。"),
    "withdraw": (moves.document_withdraw, "已撤回，可以继续修改。"),
    "approve": (moves.document_approve, "已通过。"),
    "return": (moves.document_return, "已退回修改。"),
}


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise Http404("监控时点应写成 YYYY-MM-DD。") from None


def _stepbar(document) -> list[dict]:
    chain = chain_of(document)
    current = chain.draft if document.state in chain.drafting else document.state
    position = chain.order.index(current)
    bar = [{"label": chain.label(state), "status": "done" if i < position else "current" if i == position else "todo"}
           for i, state in enumerate(chain.order)]
    if document.state == chain.returned:
        bar[0]["label"] = chain.label(chain.returned)
    return bar


def _version(post) -> int | None:
    try:
        return int(post.get("version", ""))
    except ValueError:
        return None


@login_required
def sheet_monitoring(request, pk):
    """运行监控: the monitoring points of the sheet's year (its pack), each with its report's state and lights, and
    the sheet's 处置."""
    sheet = selectors.sheet_for_monitoring(request.user, pk)
    pack = selectors.pack_for_year(sheet.fiscal_year.year)
    reports = selectors.reports_of(sheet)
    can_report = sheet.is_published and flow.holds(request.user, REPORT_CHAIN.author, sheet)
    points = []
    for point in reporting.monitored_points(pack, sheet.fiscal_year.year):
        report = reports.get(point.date)
        if report is not None and not selectors.can_see(request.user, report):
            report = None
        points.append({"point": point, "report": report,
                       "colour_label": grading.COLOUR_LABELS.get(report.colour, "") if report else ""})
    disposals = [d for d in sheet.disposals.select_related("pack").order_by("-point_date") if selectors.can_see(request.user, d)]
    return render(request, "monitoring/points.html", {
        "sheet": sheet, "pack": pack, "points": points, "can_report": can_report, "disposals": disposals,
        "nav": "sheets",
    })


def _changes(post, report) -> dict:
    rows = {}
    for row in report.rows.all():
        values = {name: post.get(f"row-{row.pk}-{name}") for name in ROW_INPUTS if f"row-{row.pk}-{name}" in post}
        if values:
            rows[row.pk] = values
    return rows


@login_required
def monitoring_report(request, pk, point):
    """The report of one point: GET shows it (or offers to start it), POST saves (or, ``start``, opens it)."""
    sheet = selectors.sheet_for_monitoring(request.user, pk)
    point_date = _date(point)
    report = selectors.report_for(request.user, sheet, point_date)
    if request.method == "POST" and report is None:
        try:
            services.report_open(sheet=sheet, point_date=point_date, user=request.user)
        except AppError as error:
            messages.error(request, error.message)
            return redirect("sheet_monitoring", sheet.pk)
        messages.success(request, "已按绩效目标表生成运行监控表，请填写当前完成值。")
        return redirect("monitoring_report", sheet.pk, point_date.isoformat())
    if report is None:
        messages.info(request, "该时点尚未填报运行监控表。")
        return redirect("sheet_monitoring", sheet.pk)
    can_edit = permissions.can_edit(request.user, report)
    typed = None
    if request.method == "POST":
        if not can_edit:
            messages.error(request, "这张运行监控表当前不能由您修改。")
            return redirect(report)
        try:
            services.report_edit(report=report, user=request.user, expected_version=_version(request.POST) or -1,
                                 rows=_changes(request.POST, report))
        except AppError as error:
            messages.error(request, error.message)
            typed = request.POST
        else:
            messages.success(request, "已保存，灯色已按规则包重新评价。")
            return redirect(report)
    data = represent(report)
    if typed is not None:
        for row in data["rows"]:
            for name in ROW_INPUTS:
                key = f"row-{row['id']}-{name}"
                if key in typed:
                    row[name] = typed[key]
    history = list(workflow_selectors.document_history(report))
    last_return = next((e for e in reversed(history) if e.action == "return"), None)
    return render(request, "monitoring/report.html", {
        "report": report, "data": data, "sheet": sheet, "can_edit": can_edit,
        "can_withdraw": moves.withdraw_refusal(report, request.user) is None,
        "can_review": permissions.can_review(request.user, report), "publishes": REPORT_CHAIN.publishes(report.state),
        "stepbar": _stepbar(report), "history": history,
        "return_comment": last_return if report.state == REPORT_CHAIN.returned else None,
        "levels": [(code, label) for code, (label, _colour) in grading.QUALITATIVE_LEVELS.items()],
        "likelihoods": Likelihood.choices, "reason_kinds": ReasonKind.choices, "nav": "sheets",
    })


@login_required
def monitoring_report_by_id(request, pk):
    """A report by its id (a 催办 links here): its page under its sheet, for who may read it."""
    report = MonitoringReport.objects.select_related("agency", "section").filter(pk=pk).first()
    if report is None or not selectors.can_see(request.user, report):
        raise Http404("没有找到这张运行监控表。")
    return redirect(report)


def _move(request, document, move):
    if move not in MOVES:
        raise Http404("没有这项操作。")
    service, success = MOVES[move]
    try:
        service(document=document, user=request.user, expected_version=_version(request.POST),
                comment=request.POST.get("comment", ""))
    except AppError as error:
        messages.error(request, error.message)
        return redirect(document)
    messages.success(request, success.format(first=chain_of(document).first.label))
    document.refresh_from_db()
    if not selectors.can_see(request.user, document):
        return redirect("inbox")
    return redirect(document)


@login_required
def monitoring_report_docx(request, pk, point):
    """The report as a Word 绩效运行监控表 (the common layout), for who may read it."""
    sheet = selectors.sheet_for_monitoring(request.user, pk)
    report = selectors.report_for(request.user, sheet, _date(point))
    if report is None:
        raise Http404("该时点尚未填报运行监控表。")
    buffer = io.BytesIO()
    word.write(buffer, report, represent(report))
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    name = f"绩效运行监控表-{sheet.project.code}-{report.point_date:%Y%m%d}.docx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@login_required
@require_POST
def monitoring_report_move(request, pk, point, move):
    sheet = selectors.sheet_for_monitoring(request.user, pk)
    report = selectors.report_for(request.user, sheet, _date(point))
    if report is None:
        raise Http404("没有找到这张运行监控表。")
    return _move(request, report, move)


@login_required
def monitoring_disposal(request, pk):
    """处置: the warning, the pack's options and the deadline; the section's 经办人 decides (调整 opens a target
    adjustment), the leader and finance approve."""
    disposal = selectors.disposal_for(request.user, pk)
    can_edit = permissions.can_edit(request.user, disposal)
    if request.method == "POST":
        if not can_edit:
            messages.error(request, "这项处置当前不能由您修改。")
            return redirect(disposal)
        try:
            services.disposal_decide(disposal=disposal, user=request.user, expected_version=_version(request.POST) or -1,
                                     choice=request.POST.get("choice", ""), note=request.POST.get("note", ""))
        except AppError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "已保存处置决定，请提交局领导审批。")
        return redirect(disposal)
    history = list(workflow_selectors.document_history(disposal))
    return render(request, "monitoring/disposal.html", {
        "disposal": disposal, "data": represent_disposal(disposal), "sheet": disposal.sheet, "can_edit": can_edit,
        "can_withdraw": moves.withdraw_refusal(disposal, request.user) is None,
        "can_review": permissions.can_review(request.user, disposal), "publishes": DISPOSAL_CHAIN.publishes(disposal.state),
        "stepbar": _stepbar(disposal), "history": history, "nav": "sheets",
    })


@login_required
@require_POST
def monitoring_disposal_move(request, pk, move):
    return _move(request, selectors.disposal_for(request.user, pk), move)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def county_monitoring(request):
    """运行监控汇总: the leader's and finance's table of the sheets they oversee at one monitoring point."""
    if not county.may_see(request.user):
        raise PermissionDenied("只有局领导、财政审核人员可以查看运行监控汇总。")
    year = _int_or_none(request.GET.get("year")) or datetime.date.today().year
    if request.GET.get("format") == "xlsx":
        return _county_xlsx(request, year)
    if request.GET.get("format") == "docx":
        return _agency_docx(request, year)
    try:
        page = county.county_page(
            request.user, year=year, point=request.GET.get("point") or None, grade=request.GET.get("grade", ""),
            agency=request.GET.get("agency", "").strip(), after=_int_or_none(request.GET.get("after")),
        )
    except AppError as error:
        messages.error(request, error.message)
        return redirect("county_monitoring")
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("format", None)
    return render(request, "monitoring/county.html", {
        "page": page, "grades": county.GRADES, "filters": request.GET, "query": query.urlencode(), "nav": "monitoring",
        "years": list(FiscalYear.objects.order_by("-year").values_list("year", flat=True)[:10]),
    })


def _agency_docx(request, year: int):
    """The agency's 绩效运行监控表 in Word: every sheet of the table filtered to one agency, at its point."""
    filters = {"year": year, "point": request.GET.get("point") or None, "grade": request.GET.get("grade", ""),
               "agency": request.GET.get("agency", "").strip()}
    back = f"{reverse('county_monitoring')}?{urlencode({k: v for k, v in filters.items() if v})}"
    if not filters["agency"]:
        messages.error(request, "请先按单位编码筛选，再导出该单位的 Word 绩效运行监控表。")
        return redirect(back)
    try:
        page, rows = xlsx.county_rows(request.user, **filters)
    except AppError as error:
        messages.error(request, error.message)
        return redirect(back)
    if not rows:
        messages.error(request, f"单位编码“{filters['agency']}”下没有您可以查看的已公开绩效目标表。")
        return redirect(back)
    buffer = io.BytesIO()
    word.write_agency(buffer, page, rows)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    name = f"绩效运行监控表-{rows[0].sheet.agency.code}-{page.point.date:%Y%m%d}.docx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def _county_xlsx(request, year: int):
    filters = {"year": year, "point": request.GET.get("point") or None, "grade": request.GET.get("grade", ""),
               "agency": request.GET.get("agency", "").strip()}
    try:
        page, rows = xlsx.county_rows(request.user, **filters)
    except AppError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('county_monitoring')}?{urlencode({k: v for k, v in filters.items() if v})}")
    buffer = io.BytesIO()
    xlsx.write(buffer, page, rows)
    response = HttpResponse(buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"运行监控汇总-{page.year}-{page.point.date:%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
