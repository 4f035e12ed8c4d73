"""Error pages: the API answers its errors in JSON (DRF's shape, ``{"detail": …}``), every other path with the
site's Chinese pages (templates/404.html, 500.html, and 503.html when the database cannot answer: ``core.busy``).

DRF only shapes errors raised inside its views; an unknown ``/api/…`` path or a crash outside a view reaches
these handlers, and a client reading JSON must not get an HTML page.
"""

from __future__ import annotations

import sys

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from core import busy
from core.errors import API_PREFIX

NOT_FOUND = "未找到。"
SERVER_ERROR = "服务器出错，请稍后再试；如果一再出现，请联系系统管理员。"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": NOT_FOUND}, status=404, json_dumps_params={"ensure_ascii": False})
    return defaults.page_not_found(request, exception)


def server_error(request):
    if busy.database_unavailable(sys.exc_info()[1]):  # the exception being handled
        return service_unavailable(request)
    if _is_api(request):
        return JsonResponse({"detail": SERVER_ERROR}, status=500, json_dumps_params={"ensure_ascii": False})
    return defaults.server_error(request)


def service_unavailable(request):
    """503 with Retry-After: the database could not answer in time or refused the connection (``core.busy``). The page
    is drawn without the database (no base layout, whose menus count the user's tasks)."""
    if _is_api(request):
        response = JsonResponse({"detail": busy.MESSAGE, "code": busy.CODE}, status=503, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(busy.RETRY_AFTER_SECONDS)
    return response
