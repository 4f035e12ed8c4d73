"""REST API over the same services as the browser pages. No flash messages here."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from core import errors
from core.db import prepared_statements
from core.pagination import KeysetPagination
from projects.docx.data import IndicatorData
from projects.models import SheetState, TargetSheet
from projects.selectors import content_load, documents_with_content
from sheets import selectors as sheet_selectors
from sheets import services as sheet_services
from sheets.downloads import DOCX, sheet_response
from sheets.serializers import (
    MoveResultSerializer,
    ReassignSerializer,
    SheetDetailSerializer,
    SheetListSerializer,
    SheetPatchSerializer,
    move_result,
    sheet_list_rows,
)
from workflow import flow, permissions, services
from workflow.documents import chain_of
from workflow.etags import if_match
from workflow.serializers import (
    CcResultSerializer,
    CcSerializer,
    CommentSerializer,
    ConsultSerializer,
    OpinionSerializer,
    ReturnSerializer,
    RevokeSerializer,
    cc_result,
)


def _sheet_for(user, pk, queryset=None):
    """A sheet or an adjustment of one (目标调整: read, patched and moved here like any sheet, by its own id)."""
    return permissions.visible_document_or_404(user, pk, documents_with_content() if queryset is None else queryset)


def _detail(sheet, status=200, *, reload: bool = True) -> Response:
    """The sheet as the API shows it. After a move (``reload=False``) the caller's sheet already carries the new
    state and version (the service copies them from the locked row) and its content is unchanged: it is read once."""
    fresh = documents_with_content().get(pk=sheet.pk) if reload else content_load(sheet)
    return Response(SheetDetailSerializer(fresh).data, status=status, headers={"ETag": fresh.etag})


class SheetListPage(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="下一页；没有更多时为 null")
    previous = serializers.URLField(allow_null=True, help_text="上一页；第一页为 null")
    results = SheetListSerializer(many=True)


@extend_schema(
    parameters=[
        OpenApiParameter("year", int), OpenApiParameter("state", str, enum=SheetState.values), OpenApiParameter("section", int),
        OpenApiParameter("agency", str, description="单位编码"),
        OpenApiParameter("q", str, description="项目名称或编码中的文字"),
        OpenApiParameter("cursor", str, description="上一次响应中 next / previous 链接里的游标"),
        OpenApiParameter("size", int, description="每页条数，默认 50，最多 100"),
    ],
    responses=SheetListPage,
    operation_id="sheets_list",
)
@api_view(["GET"])
def sheet_list(request):
    """The sheets the user may read, a keyset page at a time: ``{"next", "previous", "results"}``, no total."""
    params = request.query_params
    state = params.get("state") or None  # an empty ?state= (a blank filter field) means any state
    if state and state not in SheetState.values:
        return Response({"detail": f"未知的状态“{state}”，可选：{'、'.join(SheetState.values)}。", "code": "invalid"}, status=400)
    try:
        year = int(params["year"]) if params.get("year") else None
        section = int(params["section"]) if params.get("section") else None
    except ValueError:
        return Response({"detail": "year 与 section 必须是整数。", "code": "invalid"}, status=400)
    sheets = sheet_selectors.with_year_and_agency(sheet_selectors.sheet_list(
        request.user, year=year, section=section, state=state,
        agency=(params.get("agency") or "").strip()[:20] or None, search=(params.get("q") or "").strip()[:100] or None,
    ))
    paginator = KeysetPagination(sheet_selectors.SHEET_LIST_ORDER)
    page = paginator.paginate_queryset(sheets, request)
    return paginator.get_paginated_response(sheet_list_rows(page))


@extend_schema(methods=["GET"], responses=SheetDetailSerializer)
@extend_schema(methods=["PATCH"], request=SheetPatchSerializer, responses=SheetDetailSerializer)
@api_view(["GET", "PATCH"])
def sheet_detail(request, pk):
    sheet = _sheet_for(request.user, pk)
    if request.method == "GET":
        return _detail(sheet)
    sheet_services.ensure_editable(request.user, sheet)  # who may edit is answered before what they sent
    expected_version = if_match(request, sheet, required=True, this=SHEET)
    serializer = SheetPatchSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    with transaction.atomic():
        if expected_version is None:  # If-Match: * — on whatever version is current once the row is locked
            expected_version = services.document_lock(TargetSheet, sheet.pk).version
        sheet_services.sheet_edit(sheet=sheet, user=request.user, expected_version=expected_version, **_changes(sheet, serializer.validated_data))
    return _detail(sheet)


SHEET = "这张表"  # how the If-Match messages point at a sheet, an adjustment's too (workflow.etags)
ROW_FIELDS = ("category", "subcategory", "name", "description", "target_value", "basis")


def _changes(sheet, data: dict) -> dict:
    """The PATCHed parts only; the service merges them onto the content it reads under the row lock."""
    changes = {name: data[name] for name in ("budget_total", "fiscal_funds", "other_funds", "purpose", "goal") if name in data}
    if "plan" in data:
        checkpoints = {cp.date: cp for cp in sheet.fiscal_year.checkpoints.all()}
        unknown = [str(p["date"]) for p in data["plan"] if p["date"] not in checkpoints]
        if unknown:
            raise errors.invalid(f"{'、'.join(unknown)} 不是 {sheet.fiscal_year.year} 年的资金支出时间节点。")
        changes["plan"] = {checkpoints[p["date"]]: p["percent"] for p in data["plan"]}  # the points sent replace theirs
    if "indicators" in data:
        changes["indicators"] = [IndicatorData(**{n: row.get(n, "") for n in ROW_FIELDS}) for row in data["indicators"]]
    return changes


def _actor_sheet(user, pk):
    """The sheet for a move, refused (403) before the body is read when ``user`` holds no role on it at all
    (a published sheet is visible to everyone signed in, but only its author and reviewers may act on it).

    Read once, under its row lock, in the transaction the caller holds for the move (the service moves this very
    row), and without its content, which a move does not change (only ``Prefer: return=representation`` reads it,
    once, after the move)."""
    with prepared_statements():  # the same statement on every move: planned once per connection
        sheet = services.mark_locked(_sheet_for(user, pk, services.documents_locked(TargetSheet)))
    if user.is_superuser or sheet.assignee_id == user.pk or sheet.consultant_id == user.pk:  # (加签: the person asked)
        return sheet
    if not any(flow.holds(user, role, sheet) for role in chain_of(sheet).roles):
        raise errors.forbidden()
    return sheet


def _wants_representation(request) -> bool:
    """``Prefer: return=representation`` (RFC 7240): the client asks a move for the whole sheet, not the short answer."""
    preferences = (p.strip().lower().replace(" ", "") for p in request.headers.get("Prefer", "").split(","))
    return "return=representation" in preferences


def _moved(request, sheet, event) -> Response:
    """The answer to a move. By default what the move changed — state, version, assignee and the history entry it
    recorded — from memory, without reading the sheet again; with ``Prefer: return=representation`` the whole sheet
    as GET shows it (its content and history read once more). Both carry the new ETag."""
    if _wants_representation(request):
        response = _detail(sheet, reload=False)
        response["Preference-Applied"] = "return=representation"
        return response
    return Response(move_result(sheet, event), headers={"ETag": sheet.etag, "Preference-Applied": "return=minimal"})


MOVE_RESPONSES = {200: MoveResultSerializer}
MOVE_PARAMETERS = [OpenApiParameter(
    "Prefer", str, OpenApiParameter.HEADER, enum=["return=minimal", "return=representation"],
    description="默认 return=minimal：只返回这次办理改变了什么（状态、版本、办理人、办理记录的这一条）；"
                "return=representation：返回整张表（与 GET 相同）",
)]


def _move(request, pk, move, serializer_class=CommentSerializer, **extra):
    with transaction.atomic():
        sheet = _actor_sheet(request.user, pk)  # who may act is answered before what they sent
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = move(document=sheet, user=request.user, expected_version=if_match(request, sheet, required=False, this=SHEET),
                     **serializer.validated_data, **extra)
    return _moved(request, sheet, event)


@extend_schema(request=CommentSerializer, responses=MOVE_RESPONSES, parameters=MOVE_PARAMETERS)
@api_view(["POST"])
def sheet_submit(request, pk):
    return _move(request, pk, services.document_submit)


@extend_schema(request=CommentSerializer, responses=MOVE_RESPONSES, parameters=MOVE_PARAMETERS)
@api_view(["POST"])
def sheet_withdraw(request, pk):
    return _move(request, pk, services.document_withdraw)


@extend_schema(request=CommentSerializer, responses=MOVE_RESPONSES, parameters=MOVE_PARAMETERS)
@api_view(["POST"])
def sheet_approve(request, pk):
    return _move(request, pk, services.document_approve)


@extend_schema(request=ReturnSerializer, responses=MOVE_RESPONSES, parameters=MOVE_PARAMETERS)
@api_view(["POST"])
def sheet_return(request, pk):
    return _move(request, pk, services.document_return, ReturnSerializer)


@extend_schema(
    request=RevokeSerializer, responses=MOVE_RESPONSES, parameters=MOVE_PARAMETERS,
    description="撤回通过：通过人在下一环节办理前撤回（回到其环节）；财政审核人在公开当个工作日内撤回公开（须填写原因）。",
)
@api_view(["POST"])
def sheet_revoke(request, pk):
    return _move(request, pk, services.document_revoke, RevokeSerializer)


@extend_schema(
    request=CommentSerializer, responses={**MOVE_RESPONSES, 429: None},
    description="催办：经办人请当前环节的办理人尽快审核；同一环节每个工作日一次，重复催办返回 429。表的版本不变。",
)
@api_view(["POST"])
def sheet_urge(request, pk):
    with transaction.atomic():
        sheet = _actor_sheet(request.user, pk)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.document_urge(document=sheet, user=request.user, **serializer.validated_data)
    return Response(move_result(sheet, event), headers={"ETag": sheet.etag})


@extend_schema(
    request=CcSerializer, responses={200: CcResultSerializer},
    description="抄送：经办人或当前环节的审核人把表抄送给本单位人员或本单位的财政审核人（每人一条办理记录和一条通知）；"
                "被抄送人可以查看，不能办理。表的版本不变。",
)
@api_view(["POST"])
def sheet_cc(request, pk):
    with transaction.atomic():
        sheet = _actor_sheet(request.user, pk)
        serializer = CcSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        events = services.document_cc(
            document=sheet, user=request.user, to_users=serializer.validated_data["users"], comment=serializer.validated_data["comment"],
        )
    return Response(cc_result(events), headers={"ETag": sheet.etag})


@extend_schema(
    request=ConsultSerializer, responses=MOVE_RESPONSES, parameters=MOVE_PARAMETERS,
    description="加签：当前环节的审核人请一位有权查看的人提出意见——前加签（before）：收到意见后回到本人决定；"
                "后加签（after）：本人通过后由其审批，同意后进入下一环节，不同意则撤回本人的通过。",
)
@api_view(["POST"])
def sheet_consult(request, pk):
    with transaction.atomic():
        sheet = _actor_sheet(request.user, pk)
        serializer = ConsultSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        to_user = get_user_model().objects.filter(username=data["user"].strip()).first()
        event = services.document_consult(
            document=sheet, user=request.user, to_user=to_user, when=data["when"], comment=data["comment"],
            expected_version=if_match(request, sheet, required=False, this=SHEET),
        )
    return _moved(request, sheet, event)


@extend_schema(
    request=OpinionSerializer, responses=MOVE_RESPONSES, parameters=MOVE_PARAMETERS,
    description="加签意见：加签人同意或不同意，并填写意见。",
)
@api_view(["POST"])
def sheet_opinion(request, pk):
    return _move(request, pk, services.document_opinion, OpinionSerializer)


@extend_schema(request=ReassignSerializer, responses=MOVE_RESPONSES, parameters=MOVE_PARAMETERS)
@api_view(["POST"])
def sheet_reassign(request, pk):
    with transaction.atomic():
        sheet = _actor_sheet(request.user, pk)
        serializer = ReassignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        to_user = get_user_model().objects.filter(username=serializer.validated_data["user"]).first()
        event = services.task_reassign(
            document=sheet, user=request.user, to_user=to_user, comment=serializer.validated_data["comment"],
            expected_version=if_match(request, sheet, required=False, this=SHEET),
        )
    return _moved(request, sheet, event)


@extend_schema(responses={(200, DOCX): bytes})
@api_view(["GET"])
def sheet_export(request, pk):
    return sheet_response(_sheet_for(request.user, pk))
