"""Error pages: the API answers its errors in JSON (DRF's shape, ``{"detail": …}``), every other path with the
site's Chinese pages (templates/404.html, 500.html).

DRF only shapes errors raised inside its views; an unknown ``/api/…`` path or a crash outside a view reaches
these handlers, and a client reading JSON must not get an HTML page.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults

API_PREFIX = "/api/"
NOT_FOUND = "未找到。"
SERVER_ERROR = "服务器出错，请稍后再试；如果一再出现，请联系系统管理员。"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": NOT_FOUND}, status=404, json_dumps_params={"ensure_ascii": False})
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": SERVER_ERROR}, status=500, json_dumps_params={"ensure_ascii": False})
    return defaults.server_error(request)
