"""The monitoring REST API: a sheet's points and reports (GET), a point's report (GET; PUT with If-Match), its moves;
a 处置 (GET; PUT the decision with If-Match) and its moves. The same services and permissions as the pages."""

from __future__ import annotations

import datetime

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from core import errors
from monitoring import county, reporting, selectors, services
from monitoring.models import Disposal, MonitoringReport
from monitoring.serializers import (
    CountySerializer,
    DisposalPutSerializer,
    DisposalSerializer,
    MonitoringPointSerializer,
    MonitoringReportPutSerializer,
    MonitoringReportSerializer,
    represent,
    represent_county,
    represent_disposal,
)
from workflow import flow
from workflow import services as moves
from workflow.documents import chain_of
from workflow.etags import if_match
from workflow.serializers import CommentSerializer, ReturnSerializer

POINT = OpenApiParameter("point", str, OpenApiParameter.PATH, description="监控时点，YYYY-MM-DD（如 2024-04-30）")
MOVE = OpenApiParameter("move", str, OpenApiParameter.PATH, enum=["submit", "withdraw", "approve", "return"],
                        description="提交 / 撤回 / 通过 / 退回修改（退回时 comment 必填）")
MOVES = {
    "submit": (moves.document_submit, CommentSerializer),
    "withdraw": (moves.document_withdraw, CommentSerializer),
    "approve": (moves.document_approve, CommentSerializer),
    "return": (moves.document_return, ReturnSerializer),
}


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise errors.invalid(f"监控时点“{text}”应写成 YYYY-MM-DD，如 2024-04-30。") from None


def _report_response(report, status=200) -> Response:
    fresh = MonitoringReport.objects.select_related(*MonitoringReport.approval_related, "pack", "updated_by").prefetch_related(
        "rows"
    ).get(pk=report.pk)
    return Response(MonitoringReportSerializer(represent(fresh)).data, status=status, headers={"ETag": fresh.etag})


@extend_schema(responses=MonitoringPointSerializer(many=True), operation_id="sheet_monitoring_list")
@api_view(["GET"])
def sheet_monitoring(request, pk):
    """The monitoring points of the sheet's year (its rule pack), each with its report (null until one is started)."""
    sheet = selectors.sheet_for_monitoring(request.user, pk)
    pack = selectors.pack_for_year(sheet.fiscal_year.year)
    reports = selectors.reports_of(sheet)
    data = []
    for point in reporting.monitored_points(pack, sheet.fiscal_year.year):
        report = reports.get(point.date)
        shown = represent(report) if report is not None and selectors.can_see(request.user, report) else None
        data.append({"point": point.date, "label": point.label, "expected": point.expected, "report_by": point.report_by,
                     "report": shown})
    return Response(MonitoringPointSerializer(data, many=True).data)


@extend_schema(methods=["GET"], parameters=[POINT], responses=MonitoringReportSerializer, operation_id="monitoring_report_read")
@extend_schema(
    methods=["PUT"], parameters=[POINT], request=MonitoringReportPutSerializer, responses={200: MonitoringReportSerializer, 201: MonitoringReportSerializer},
    operation_id="monitoring_report_put",
    description="填报该时点的运行监控表：尚无时新建（201，从上一时点的填报值开始），已有时须带 If-Match（GET 取得的 ETag）。",
)
@api_view(["GET", "PUT"])
def monitoring_report(request, pk, point):
    sheet = selectors.sheet_for_monitoring(request.user, pk)
    point_date = _date(point)
    report = selectors.report_for(request.user, sheet, point_date)
    if request.method == "GET":
        if report is None:
            raise errors.not_found("该时点尚未填报运行监控表。")
        return _report_response(report)
    if report is not None:
        services.report_ensure_editable(request.user, report)  # who may edit is answered before what they sent
        expected_version = if_match(request, report, required=True, this=MonitoringReport.approval_this)
    serializer = MonitoringReportPutSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    rows = [dict(row) for row in serializer.validated_data["rows"]]
    ids = [row["id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise errors.invalid("同一指标行只能出现一次。")
    status = 200
    with transaction.atomic():
        if report is None:
            report = services.report_open(sheet=sheet, point_date=point_date, user=request.user)
            expected_version, status = report.version, 201
        elif expected_version is None:  # If-Match: *
            expected_version = moves.document_lock(MonitoringReport, report.pk).version
        services.report_edit(report=report, user=request.user, expected_version=expected_version,
                             rows={row.pop("id"): row for row in rows})
    return _report_response(report, status)


def _actor(user, document):
    """403 before the body is read for someone with no role on the document's chain."""
    if user.is_superuser or document.assignee_id == user.pk:
        return document
    if not any(flow.holds(user, role, document) for role in chain_of(document).roles):
        raise errors.forbidden()
    return document


def _perform(request, model, pk, move):
    if move not in MOVES:
        raise errors.not_found("没有这项操作。")
    service, serializer_class = MOVES[move]
    with transaction.atomic():
        document = moves.mark_locked(moves.documents_locked(model).select_related(*model.approval_related).get(pk=pk))
        _actor(request.user, document)
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        expected_version = if_match(request, document, required=False, this=model.approval_this)
        service(document=document, user=request.user, expected_version=expected_version, **serializer.validated_data)
    return document


@extend_schema(parameters=[POINT, MOVE], request=ReturnSerializer, responses=MonitoringReportSerializer, operation_id="monitoring_report_move")
@api_view(["POST"])
def monitoring_report_move(request, pk, point, move):
    sheet = selectors.sheet_for_monitoring(request.user, pk)
    report = selectors.report_for(request.user, sheet, _date(point))
    if report is None:
        raise errors.not_found("该时点尚未填报运行监控表。")
    return _report_response(_perform(request, MonitoringReport, report.pk, move))


def _disposal_response(disposal) -> Response:
    fresh = Disposal.objects.select_related(*Disposal.approval_related).get(pk=disposal.pk)
    return Response(DisposalSerializer(represent_disposal(fresh)).data, headers={"ETag": fresh.etag})


@extend_schema(methods=["GET"], responses=DisposalSerializer, operation_id="monitoring_disposal_read")
@extend_schema(methods=["PUT"], request=DisposalPutSerializer, responses=DisposalSerializer, operation_id="monitoring_disposal_decide",
               description="处置决定（If-Match 必填）；选择含“调整”的选项时同时发起目标调整。")
@api_view(["GET", "PUT"])
def monitoring_disposal(request, pk):
    disposal = selectors.disposal_for(request.user, pk)
    if request.method == "GET":
        return _disposal_response(disposal)
    services.disposal_ensure_editable(request.user, disposal)
    expected_version = if_match(request, disposal, required=True, this=Disposal.approval_this)
    serializer = DisposalPutSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    with transaction.atomic():
        if expected_version is None:
            expected_version = moves.document_lock(Disposal, disposal.pk).version
        services.disposal_decide(disposal=disposal, user=request.user, expected_version=expected_version,
                                 **serializer.validated_data)
    return _disposal_response(disposal)


@extend_schema(parameters=[MOVE], request=ReturnSerializer, responses=DisposalSerializer, operation_id="monitoring_disposal_move")
@api_view(["POST"])
def monitoring_disposal_move(request, pk, move):
    disposal = selectors.disposal_for(request.user, pk)
    return _disposal_response(_perform(request, Disposal, disposal.pk, move))


@extend_schema(
    parameters=[
        OpenApiParameter("year", int, required=True, description="预算年度"),
        OpenApiParameter("point", str, description="监控时点 YYYY-MM-DD；默认今天之前最近的时点"),
        OpenApiParameter("grade", str, enum=list(county.GRADES), description="运行监控表的灯色；none：未填报"),
        OpenApiParameter("agency", str, description="单位编码"),
        OpenApiParameter("after", int, description="上一页的 next_after"),
        OpenApiParameter("size", int, description=f"每页行数，最多 {county.PAGE_MAX}"),
    ],
    responses=CountySerializer, operation_id="monitoring_county",
)
@api_view(["GET"])
def county_monitoring(request):
    """运行监控汇总 (局领导、财政审核): the published sheets of the agencies the user oversees at one point."""
    def number(name):
        value = request.query_params.get(name)
        if value in (None, ""):
            return None
        if not value.isdigit():
            raise errors.invalid(f"参数 {name} 应为正整数。")
        return int(value)

    year = number("year")
    if year is None:
        raise errors.invalid("请提供 year（预算年度）。")
    page = county.county_page(
        request.user, year=year, point=request.query_params.get("point") or None,
        grade=request.query_params.get("grade", ""), agency=request.query_params.get("agency", "").strip(),
        after=number("after"), size=number("size") or county.PAGE_SIZE,
    )
    return Response(CountySerializer(represent_county(page)).data)
