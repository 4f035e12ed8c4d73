"""REST API for spending reports: ``GET``/``POST /api/sheets/{id}/spend-reports/``. Errors are JSON with a Chinese ``detail``."""

from __future__ import annotations

import datetime

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from core.errors import AppError
from spending import services as spending
from projects import validation
from projects.models import TargetSheet
from spending.models import EXPLANATION, SpendReport
from spending.views import NOT_ALLOWED
from workflow import permissions


class SpendReportInputSerializer(serializers.Serializer):
    checkpoint = serializers.CharField(help_text="时间节点：id，或日期 YYYY-MM-DD（如 2024-06-30）")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, help_text="截至该节点累计实际支出（万元）")
    explanation = serializers.CharField(
        required=False, allow_blank=True, default="", validators=[validation.validator(EXPLANATION)],
        help_text=f"年度监控规则包要求说明时必填（现行规则：进度落后于计划；四川：低于时点预警线；山西：执行进度比评为红灯、黄灯）；最多 {EXPLANATION[1]} 个字",
    )


class CheckpointSpendSerializer(serializers.Serializer):
    """One checkpoint of the sheet: the plan and, once reported, the actual spend and its colour."""

    id = serializers.IntegerField(source="report.id", default=None)
    checkpoint = serializers.IntegerField(source="checkpoint.id")
    checkpoint_date = serializers.DateField(source="checkpoint.date")
    checkpoint_label = serializers.CharField(source="checkpoint.label")
    planned_percent = serializers.DecimalField(source="planned", max_digits=6, decimal_places=2)
    amount = serializers.DecimalField(source="report.amount", max_digits=14, decimal_places=2, default=None)
    actual_percent = serializers.DecimalField(source="actual", max_digits=6, decimal_places=2, allow_null=True)
    behind = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    level = serializers.CharField()
    level_label = serializers.CharField()
    explanation = serializers.CharField(source="report.explanation", default=None)
    reported_by = serializers.CharField(source="report.reported_by.username", default=None)
    reported_at = serializers.DateTimeField(source="report.reported_at", default=None)


def _sheet_for(user, pk) -> TargetSheet:
    return permissions.visible_document_or_404(user, pk, spending.with_spending(TargetSheet.objects.all()))


def _refused(message: str, code: str, status: int) -> Response:
    return Response({"detail": message, "code": code}, status=status)


def _checkpoint(sheet: TargetSheet, value: str):
    checkpoints = sheet.fiscal_year.checkpoints.all()
    value = value.strip()
    if value.isascii() and value.isdigit():
        found = [cp for cp in checkpoints if cp.pk == int(value)]
    else:
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            day = None
        found = [cp for cp in checkpoints if cp.date == day]
    return found[0] if found else None


@extend_schema(methods=["GET"], responses=CheckpointSpendSerializer(many=True))
@extend_schema(
    methods=["POST"], request=SpendReportInputSerializer,
    responses={201: CheckpointSpendSerializer, 200: CheckpointSpendSerializer},
)
@api_view(["GET", "POST"])
def spend_reports(request, pk):
    """GET: one item per checkpoint of the sheet's year (plan, report or null, level).
    POST: record the cumulative spend at a checkpoint (201 new, 200 replaced); staff of the sheet's section only.
    """
    sheet = _sheet_for(request.user, pk)
    if not spending.can_view(request.user, sheet):
        return _refused(NOT_ALLOWED, "permission_denied", 403)
    if request.method == "GET":
        return Response(CheckpointSpendSerializer(spending.sheet_spending(sheet=sheet), many=True).data)

    serializer = SpendReportInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    checkpoint = _checkpoint(sheet, data["checkpoint"])
    if checkpoint is None:
        labels = "、".join(f"{cp.label}（{cp.date:%Y-%m-%d}，id {cp.pk}）" for cp in sheet.fiscal_year.checkpoints.all())
        return _refused(f"时间节点“{data['checkpoint']}”不属于这张表的预算年度，可选：{labels}。", "invalid", 400)
    existed = SpendReport.objects.filter(sheet=sheet, checkpoint=checkpoint).exists()
    try:
        spending.spend_report_record(
            sheet=sheet, checkpoint=checkpoint, amount=data["amount"], explanation=data["explanation"], user=request.user
        )
    except AppError as exc:
        return _refused(exc.message, exc.code, exc.status)
    fresh = spending.with_spending(TargetSheet.objects.all()).get(pk=sheet.pk)
    point = next(p for p in spending.sheet_spending(sheet=fresh) if p.checkpoint.pk == checkpoint.pk)
    return Response(CheckpointSpendSerializer(point).data, status=200 if existed else 201)
