"""REST API of the notification centre: the signed-in user's in-app notifications. No flash messages here."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from core.pagination import KeysetPagination
from notifications import inbox, selectors
from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    read = serializers.BooleanField(source="is_read")

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_label", "title", "body", "url", "sheet", "created", "read", "read_at"]


class NotificationPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    unread = serializers.IntegerField(help_text="未读通知数")
    results = NotificationSerializer(many=True)


@extend_schema(
    parameters=[OpenApiParameter("unread", bool, description="只返回未读通知"), OpenApiParameter("cursor", str, description="next / previous 链接里的游标"),
        OpenApiParameter("size", int, description="每页条数，默认 50，最多 100"),
    ],
    responses=NotificationPageSerializer,
)
@api_view(["GET"])
def notification_list(request):
    """The signed-in user's notifications, newest first, a keyset page at a time (``next``/``previous``), with the unread count."""
    notifications = selectors.inbox(request.user)
    if request.query_params.get("unread") in ("1", "true"):
        notifications = notifications.filter(read_at__isnull=True)
    paginator = KeysetPagination(("-created", "-id"))
    page = paginator.paginate_queryset(notifications, request)
    response = paginator.get_paginated_response(NotificationSerializer(page, many=True).data)
    response.data["unread"] = selectors.unread_count(request.user)
    return response


@extend_schema(request=None, responses=NotificationSerializer)
@api_view(["POST"])
def notification_read(request, pk):
    """Mark one of the user's notifications read (another user's id answers 404)."""
    notification = get_object_or_404(selectors.inbox(request.user), pk=pk)
    inbox.notification_mark_read(notification=notification)
    return Response(NotificationSerializer(notification).data)


@extend_schema(
    request=None,
    responses=inline_serializer("NotificationsReadAll", {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()}),
)
@api_view(["POST"])
def notifications_read_all(request):
    """Mark every notification of the user read."""
    count = inbox.notifications_mark_all_read(user=request.user)
    return Response({"marked": count, "unread": 0})
