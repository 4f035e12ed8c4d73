"""Where an AppError becomes a response: one handler for the API, one for pages."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.shortcuts import render
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core import busy
from core.errors import AppError

logger = logging.getLogger(__name__)


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every refusal as ``{"detail": "…", "code": "…"}`` in Chinese — and every other
    error of an API view too (logged, rolled back, 500 as JSON: an API client never gets an HTML page)."""
    if isinstance(exc, AppError):
        return Response({"detail": exc.message, "code": exc.code}, status=exc.status)
    if isinstance(exc, Http404):
        return Response({"detail": "未找到。", "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": "您没有执行该操作的权限。", "code": "permission_denied"}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": "请求内容过大。", "code": "request_too_large"}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        return Response({"detail": "请求无效。", "code": "bad_request"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RecursionError):
        set_rollback()
        return Response({"detail": "请求内容嵌套过深。", "code": "parse_error"}, status=status.HTTP_400_BAD_REQUEST)
    if busy.database_unavailable(exc):
        logger.warning("数据库未能及时响应：%s", context.get("request") and context["request"].path, exc_info=exc)
        set_rollback()
        return Response({"detail": busy.MESSAGE, "code": busy.CODE}, status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(busy.RETRY_AFTER_SECONDS)})
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("API 请求出错：%s", context.get("request") and context["request"].path, exc_info=exc)
        set_rollback()
        return Response({"detail": "服务器内部错误，请稍后再试或联系管理员。", "code": "server_error"}, status=500)
    if isinstance(response.data, dict) and set(response.data) == {"detail"}:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else None
        response.data["code"] = codes if isinstance(codes, str) else "invalid"
    return response


class AppErrorMiddleware:
    """A page whose service refused with an AppError shows the message on an error page with its status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, AppError):
            return render(request, "error.html", {"message": exception.message, "status": exception.status}, status=exception.status)
        return None
