"""JSON errors with a Chinese message for the REST API: {"detail": "...", "code": "..."}."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workflow.services import WorkflowError


def exception_handler(exc, context):
    if isinstance(exc, WorkflowError):
        code = {400: "invalid", 403: "permission_denied", 409: "illegal_transition"}[exc.status]
        return Response({"detail": exc.message, "code": code}, status=exc.status)
    if isinstance(exc, Http404):
        return Response({"detail": "未找到。", "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": "您没有执行该操作的权限。", "code": "permission_denied"}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)
