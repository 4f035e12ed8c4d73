"""The self-evaluation's REST API: create one for a published sheet, read it, edit its draft (If-Match), move it.

The same services as the pages: ``evaluations.services`` for the content, ``workflow.services`` for the moves.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from core import errors
from evaluations import selectors, services
from evaluations.models import DepartmentEvaluation, SelfEvaluation
from evaluations.serializers import (
    CreatedSerializer,
    DepartmentEvaluationPatchSerializer,
    DepartmentEvaluationSerializer,
    EvaluationPatchSerializer,
    EvaluationSerializer,
    represent,
    represent_department,
)
from people import roles
from projects.models import TargetSheet
from projects.selectors import agency_or_404
from workflow import flow, permissions
from workflow import services as moves
from workflow.documents import chain_of
from workflow.etags import if_match
from workflow.serializers import (
    CcResultSerializer,
    CcSerializer,
    CommentSerializer,
    ConsultSerializer,
    OpinionSerializer,
    ReturnSerializer,
    cc_result,
)


def _evaluations():
    return SelfEvaluation.objects.select_related(*SelfEvaluation.approval_related, "updated_by").prefetch_related("rows")


def _evaluation_for(user, pk, queryset=None) -> SelfEvaluation:
    return selectors.evaluation_or_404(user, pk, _evaluations() if queryset is None else queryset)


def _detail(evaluation, status=200) -> Response:
    fresh = _evaluations().get(pk=evaluation.pk)
    return Response(EvaluationSerializer(represent(fresh)).data, status=status, headers={"ETag": fresh.etag})


@extend_schema(request=None, responses={201: CreatedSerializer}, operation_id="sheet_evaluation_create")
@api_view(["POST"])
def evaluation_create(request, pk):
    """Create the self-evaluation of a published sheet after its year (its section's 经办人), pre-filled from it."""
    sheet = permissions.visible_document_or_404(request.user, pk, TargetSheet.objects.select_related("fiscal_year"))
    evaluation = services.evaluation_create(sheet=sheet, user=request.user)
    return Response({"id": evaluation.pk}, status=201, headers={"Location": f"/api/evaluations/{evaluation.pk}/"})


@extend_schema(methods=["GET"], responses=EvaluationSerializer, operation_id="evaluation_read")
@extend_schema(methods=["PATCH"], request=EvaluationPatchSerializer, responses=EvaluationSerializer, operation_id="evaluation_edit")
@api_view(["GET", "PATCH"])
def evaluation_detail(request, pk):
    evaluation = _evaluation_for(request.user, pk)
    if request.method == "GET":
        return _detail(evaluation)
    services.ensure_editable(request.user, evaluation)  # who may edit is answered before what they sent
    expected_version = if_match(request, evaluation, required=True, this=SelfEvaluation.approval_this)
    serializer = EvaluationPatchSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = _rows_by_id(serializer.validated_data, "同一指标行只能出现一次。")
    with transaction.atomic():
        if expected_version is None:
            expected_version = moves.document_lock(SelfEvaluation, evaluation.pk).version
        services.evaluation_edit(evaluation=evaluation, user=request.user, expected_version=expected_version, **data)
    return _detail(evaluation)


def _rows_by_id(validated: dict, repeated: str) -> dict:
    """A PATCH's fields with its ``rows`` as {row id: changes}; a row sent twice is refused with ``repeated``."""
    data = dict(validated)
    if "rows" in data:
        ids = [row["id"] for row in data["rows"]]
        if len(set(ids)) != len(ids):
            raise errors.invalid(repeated)
        data["rows"] = {row.pop("id"): row for row in (dict(r) for r in data["rows"])}
    return data


def _actor(document):
    """``document`` (read under its row lock) for a move by ``user``; 403 before the body is read for someone with no
    role on it."""
    def check(user):
        if user.is_superuser or document.assignee_id == user.pk or document.consultant_id == user.pk:  # (加签)
            return document
        if not any(flow.holds(user, role, document) for role in chain_of(document).roles):
            raise errors.forbidden()
        return document
    return check


def _actor_evaluation(user, pk) -> SelfEvaluation:
    """The evaluation for a move, under its row lock; 403 before the body is read for someone with no role on it."""
    evaluation = moves.mark_locked(_evaluation_for(user, pk, moves.documents_locked(SelfEvaluation)))
    return _actor(evaluation)(user)


def _move(request, pk, move, serializer_class=CommentSerializer, *, actor=None, detail=None):
    """A move of the engine through the API: the document under its lock (``actor``: a sheet's self-evaluation by
    default), its body, If-Match (optional), then its detail (``detail``)."""
    actor, detail = actor or _actor_evaluation, detail or _detail
    with transaction.atomic():
        document = actor(request.user, pk)
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        expected_version = if_match(request, document, required=False, this=type(document).approval_this)
        move(document=document, user=request.user, expected_version=expected_version,
             **serializer.validated_data)
    return detail(document)


@extend_schema(request=CommentSerializer, responses=EvaluationSerializer, operation_id="evaluation_submit")
@api_view(["POST"])
def evaluation_submit(request, pk):
    return _move(request, pk, moves.document_submit)


@extend_schema(request=CommentSerializer, responses=EvaluationSerializer, operation_id="evaluation_withdraw")
@api_view(["POST"])
def evaluation_withdraw(request, pk):
    return _move(request, pk, moves.document_withdraw)


@extend_schema(request=CommentSerializer, responses=EvaluationSerializer, operation_id="evaluation_approve")
@api_view(["POST"])
def evaluation_approve(request, pk):
    return _move(request, pk, moves.document_approve)


@extend_schema(request=ReturnSerializer, responses=EvaluationSerializer, operation_id="evaluation_return")
@api_view(["POST"])
def evaluation_return(request, pk):
    return _move(request, pk, moves.document_return, ReturnSerializer)


@extend_schema(request=CcSerializer, responses={200: CcResultSerializer}, operation_id="evaluation_cc",
               description="抄送：经办人或当前环节的审核人把自评表抄送给本单位人员或本单位的财政审核人；被抄送人可以查看，不能办理。")
@api_view(["POST"])
def evaluation_cc(request, pk):
    with transaction.atomic():
        evaluation = _actor_evaluation(request.user, pk)
        serializer = CcSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        events = moves.document_cc(
            document=evaluation, user=request.user, to_users=serializer.validated_data["users"],
            comment=serializer.validated_data["comment"],
        )
    return Response(cc_result(events))


@extend_schema(request=ConsultSerializer, responses=EvaluationSerializer, operation_id="evaluation_consult",
               description="加签：前加签（before）征求意见后回到本人决定；后加签（after）本人通过后由其审批。")
@api_view(["POST"])
def evaluation_consult(request, pk):
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        evaluation = _actor_evaluation(request.user, pk)
        serializer = ConsultSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        moves.document_consult(
            document=evaluation, user=request.user, to_user=get_user_model().objects.filter(username=data["user"].strip()).first(),
            when=data["when"], comment=data["comment"],
            expected_version=if_match(request, evaluation, required=False, this=SelfEvaluation.approval_this),
        )
    return _detail(evaluation)


@extend_schema(request=OpinionSerializer, responses=EvaluationSerializer, operation_id="evaluation_opinion")
@api_view(["POST"])
def evaluation_opinion(request, pk):
    return _move(request, pk, moves.document_opinion, OpinionSerializer)


# ---------------------------------------------------------------- 部门整体自评 (an agency's department-wide one)


def _departments():
    return DepartmentEvaluation.objects.select_related(*DepartmentEvaluation.approval_related, "updated_by").prefetch_related("rows")


def _department_for(user, pk, queryset=None) -> DepartmentEvaluation:
    """The department-wide self-evaluation ``user`` may read (the engine's rule, as its page): 404 otherwise."""
    return permissions.visible_document_or_404(user, pk, _departments() if queryset is None else queryset)


def _department_detail(evaluation, status=200) -> Response:
    fresh = _departments().get(pk=evaluation.pk)
    return Response(DepartmentEvaluationSerializer(represent_department(fresh)).data, status=status, headers={"ETag": fresh.etag})


def _actor_department(user, pk) -> DepartmentEvaluation:
    department = moves.mark_locked(_department_for(user, pk, moves.documents_locked(DepartmentEvaluation)))
    return _actor(department)(user)


@extend_schema(request=None, responses={201: CreatedSerializer}, operation_id="department_evaluation_create")
@api_view(["POST"])
def department_evaluation_create(request, code, year):
    """Create the agency's department-wide self-evaluation of ``year`` (its 局领导), pre-filled from its published
    department-wide goals and sheets. 404 for who may not see the agency's view, as the page."""
    agency = agency_or_404(code)
    if not roles.oversees(request.user, agency):
        raise errors.not_found("没有找到该单位。")
    evaluation = services.department_evaluation_create(agency=agency, year=year, user=request.user)
    return Response({"id": evaluation.pk}, status=201, headers={"Location": f"/api/department-evaluations/{evaluation.pk}/"})


@extend_schema(methods=["GET"], responses=DepartmentEvaluationSerializer, operation_id="department_evaluation_read")
@extend_schema(methods=["PATCH"], request=DepartmentEvaluationPatchSerializer, responses=DepartmentEvaluationSerializer,
               operation_id="department_evaluation_edit")
@api_view(["GET", "PATCH"])
def department_evaluation_detail(request, pk):
    """部门整体自评表: read it; edit its draft (If-Match required; a row's ``target`` may quantify a goal)."""
    evaluation = _department_for(request.user, pk)
    if request.method == "GET":
        return _department_detail(evaluation)
    services.department_ensure_editable(request.user, evaluation)  # who may edit is answered before what they sent
    expected_version = if_match(request, evaluation, required=True, this=DepartmentEvaluation.approval_this)
    serializer = DepartmentEvaluationPatchSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = _rows_by_id(serializer.validated_data, "同一目标行只能出现一次。")
    with transaction.atomic():
        if expected_version is None:
            expected_version = moves.document_lock(DepartmentEvaluation, evaluation.pk).version
        services.department_evaluation_edit(evaluation=evaluation, user=request.user, expected_version=expected_version, **data)
    return _department_detail(evaluation)


def _department_move(request, pk, move, serializer_class=CommentSerializer):
    return _move(request, pk, move, serializer_class, actor=_actor_department, detail=_department_detail)


@extend_schema(request=CommentSerializer, responses=DepartmentEvaluationSerializer, operation_id="department_evaluation_submit")
@api_view(["POST"])
def department_evaluation_submit(request, pk):
    return _department_move(request, pk, moves.document_submit)


@extend_schema(request=CommentSerializer, responses=DepartmentEvaluationSerializer, operation_id="department_evaluation_withdraw")
@api_view(["POST"])
def department_evaluation_withdraw(request, pk):
    return _department_move(request, pk, moves.document_withdraw)


@extend_schema(request=CommentSerializer, responses=DepartmentEvaluationSerializer, operation_id="department_evaluation_approve")
@api_view(["POST"])
def department_evaluation_approve(request, pk):
    return _department_move(request, pk, moves.document_approve)


@extend_schema(request=ReturnSerializer, responses=DepartmentEvaluationSerializer, operation_id="department_evaluation_return")
@api_view(["POST"])
def department_evaluation_return(request, pk):
    return _department_move(request, pk, moves.document_return, ReturnSerializer)
