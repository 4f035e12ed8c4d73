"""委托 over the REST API: ``/api/delegations/`` (GET the delegations one may read, POST one), ``/api/delegations/{id}/``
(DELETE: end it now). The same services and refusals as the page (``people.services.delegation_set``)."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from core import errors
from people import selectors, services
from people.roles import display_name

_MOMENT = serializers.DateTimeField()


def delegation_data(delegation) -> dict:
    now = timezone.now()
    if delegation.cancelled is not None:
        status = "cancelled"
    elif delegation.end <= now:
        status = "ended"
    elif delegation.start <= now:
        status = "active"
    else:
        status = "scheduled"
    return {
        "id": delegation.pk,
        "principal": delegation.principal.username, "principal_name": display_name(delegation.principal),
        "delegate": delegation.delegate.username, "delegate_name": display_name(delegation.delegate),
        "text": f"{display_name(delegation.delegate)} 代 {display_name(delegation.principal)}",
        "start": _MOMENT.to_representation(delegation.start), "end": _MOMENT.to_representation(delegation.end),
        "reason": delegation.reason, "status": status,
        "created_by": delegation.created_by.username if delegation.created_by_id else None,
        "cancelled": _MOMENT.to_representation(delegation.cancelled) if delegation.cancelled else None,
    }


class DelegationSerializer(serializers.Serializer):
    """One delegation as the API shows it (``delegation_data``)."""

    id = serializers.IntegerField()
    principal = serializers.CharField(help_text="委托人的用户名")
    principal_name = serializers.CharField()
    delegate = serializers.CharField(help_text="受托人的用户名")
    delegate_name = serializers.CharField()
    text = serializers.CharField(help_text="如“刘洋 代 张建国”")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=[("scheduled", "未开始"), ("active", "生效中"), ("ended", "已结束"), ("cancelled", "已取消")])
    created_by = serializers.CharField(allow_null=True)
    cancelled = serializers.DateTimeField(allow_null=True)


def moment(value: str, *, end: bool) -> datetime.datetime:
    """A date (the start of that day; for ``end``, the end of it: the next day's start) or a date and time, local."""
    value = (value or "").strip()
    day = parse_date(value) if len(value) == 10 else None  # (parse_datetime takes a bare date as its midnight)
    if day is None:
        found = parse_datetime(value)
        if found is None:
            raise ValueError(value)
        return found if timezone.is_aware(found) else timezone.make_aware(found)
    if end:
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


class DelegationCreateSerializer(serializers.Serializer):
    delegate = serializers.CharField(max_length=150, help_text="受托人的用户名", error_messages={"required": "请填写受托人。", "blank": "请填写受托人。"})
    principal = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default="",
        help_text="委托人的用户名；不填为本人。单位管理员可为本单位人员设置",
    )
    start = serializers.CharField(help_text="开始：日期（当天 0 点起）或日期时间，如 2026-12-07 或 2026-12-07T08:00", error_messages={"required": "请填写开始时间。"})
    end = serializers.CharField(help_text="结束：日期（含当天，至次日 0 点）或日期时间", error_messages={"required": "请填写结束时间。"})
    reason = serializers.CharField(max_length=services.REASON_MAX, error_messages={"required": "请填写委托原因。", "blank": "请填写委托原因。"})

    def validate_start(self, value):
        try:
            return moment(value, end=False)
        except ValueError:
            raise serializers.ValidationError("开始时间的格式应为 2026-12-07 或 2026-12-07T08:00。") from None

    def validate_end(self, value):
        try:
            return moment(value, end=True)
        except ValueError:
            raise serializers.ValidationError("结束时间的格式应为 2026-12-07 或 2026-12-07T18:00。") from None


@extend_schema(methods=["GET"], responses=DelegationSerializer(many=True), description="委托：本人的（委托人或受托人）、本人设置的，以及单位管理员所管单位人员的委托，最新的在前（最多 100 项）。")
@extend_schema(
    methods=["POST"], request=DelegationCreateSerializer, responses={201: DelegationSerializer},
    description="设置委托：受托人在期间内持有委托人的审批角色（经办人、科室负责人、局领导、财政审核人），到期自动结束；"
                "办理记录显示为“受托人 代 委托人”。不能跨单位、不能形成循环、财政审核人不能委托给单位人员、不能委托给自己。",
)
@api_view(["GET", "POST"])
def delegation_list(request):
    if request.method == "GET":
        rows = selectors.delegations_visible(request.user)[: selectors.DELEGATION_PAGE]
        return Response([delegation_data(row) for row in rows])
    serializer = DelegationCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    User = get_user_model()
    principal = request.user
    if data["principal"]:
        principal = User.objects.filter(username=data["principal"].strip()).first()
        if principal is None or not selectors.may_manage_delegation_of(request.user, principal):
            raise errors.not_found("没有找到该委托人，或您不能为其设置委托。")
    delegate = User.objects.filter(username=data["delegate"].strip()).first()
    delegation = services.delegation_set(
        by=request.user, principal=principal, delegate=delegate, start=data["start"], end=data["end"], reason=data["reason"],
    )
    return Response(delegation_data(delegation), status=201)


@extend_schema(methods=["DELETE"], responses={204: None}, description="取消委托：立即结束（未开始的不再开始）。")
@api_view(["DELETE"])
def delegation_detail(request, pk):
    services.delegation_cancel(by=request.user, delegation_id=pk)
    return Response(status=204)
