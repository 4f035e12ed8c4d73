"""Where an AppError becomes a response: one handler for the API, one for pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import AppError


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every refusal as ``{"detail": "…", "code": "…"}`` in Chinese."""
    if isinstance(exc, AppError):
        return Response({"detail": exc.message, "code": exc.code}, status=exc.status)
    if isinstance(exc, Http404):
        return Response({"detail": "未找到。", "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": "您没有执行该操作的权限。", "code": "permission_denied"}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)


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
