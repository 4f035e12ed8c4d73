"""The API of 目标调整: ``POST /api/sheets/{id}/adjustments/`` opens one; ``POST /api/sheets/{its id}/discard/``
discards a draft or returned one. The adjustment is then read, patched
(If-Match) and moved at ``/api/sheets/{its id}/…`` like any sheet; ``GET /api/sheets/{id}/`` names the sheet's open
``adjustment`` and its ``versions``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from adjustments import services
from projects import validation
from projects.models import ADJUSTMENT_REASON_MAX, TargetSheet
from projects.selectors import sheets_with_content
from sheets.api import SHEET
from workflow import permissions
from workflow.etags import if_match


class AdjustmentOpenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=ADJUSTMENT_REASON_MAX, help_text="调整原因（必填，最多 500 字）")
    adjusted_budget = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, min_value=0, max_value=validation.MONEY_MAX,
        help_text="调整后预算数（万元，可选）：成为调整的预算数",
    )
    restore = serializers.IntegerField(required=False, allow_null=True, help_text="撤销调整：以这张表的某个历史版本（versions 的 id）的内容发起调整")


class AdjustmentCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="调整的 id：在 /api/sheets/{id}/ 读取、修改（If-Match）和办理")


@extend_schema(
    request=AdjustmentOpenSerializer,
    responses={201: AdjustmentCreatedSerializer, 403: OpenApiResponse(description="不是本科室经办人"),
               409: OpenApiResponse(description="未公开，或已有进行中的调整（说明由谁、何时发起）")},
)
@api_view(["POST"])
def adjustment_open(request, pk):
    """目标调整: open an adjustment of a published sheet (its section's 经办人; one under way at a time)."""
    sheet = permissions.visible_document_or_404(request.user, pk, sheets_with_content())
    serializer = AdjustmentOpenSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    adjustment = services.adjustment_open(
        sheet=sheet, user=request.user, reason=data["reason"], adjusted_budget=data.get("adjusted_budget"),
        restore=data.get("restore"),
    )
    # its ETag: the client edits it (PATCH with If-Match) without reading it first
    return Response({"id": adjustment.pk}, status=201, headers={"Location": f"/api/sheets/{adjustment.pk}/", "ETag": adjustment.etag})


class AdjustmentDiscardedSerializer(serializers.Serializer):
    discarded = serializers.IntegerField(help_text="被放弃的调整的 id（已删除）")
    sheet = serializers.IntegerField(help_text="现行绩效目标表的 id：其办理记录记下这次放弃；可重新发起目标调整")


@extend_schema(
    request=None,
    responses={200: AdjustmentDiscardedSerializer, 403: OpenApiResponse(description="不是本科室经办人"),
               404: OpenApiResponse(description="看不到这份调整"),
               409: OpenApiResponse(description="不是调整，或调整在审核中、已生效，或 If-Match 的版本已过期")},
)
@api_view(["POST"])
def adjustment_discard(request, pk):
    """放弃调整: discard a draft or returned adjustment (the sheet's section's 经办人; If-Match optional, as a move)."""
    adjustment = permissions.visible_document_or_404(request.user, pk, TargetSheet.documents.all())
    event = services.adjustment_discard(
        adjustment=adjustment, user=request.user, expected_version=if_match(request, adjustment, required=False, this=SHEET)
    )
    return Response({"discarded": pk, "sheet": event.sheet_id})
