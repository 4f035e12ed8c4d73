"""常用意见: the signed-in user's saved review comments, as JSON for the comment boxes of the sheet page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from core.errors import AppError
from workflow import selectors, services


@login_required
def phrases(request):
    """GET: the signed-in user's 常用意见 (own first, then the defaults). POST ``text``: save one of their own."""
    if request.method == "POST":
        try:
            services.phrase_save(user=request.user, text=request.POST.get("text", ""))
        except AppError as error:
            return JsonResponse({"detail": error.message, "code": error.code}, status=error.status)
        return JsonResponse({"phrases": selectors.saved_phrases(request.user)}, status=201)
    if request.method != "GET":
        return JsonResponse({"detail": "不支持该请求方法。"}, status=405)
    return JsonResponse({"phrases": selectors.saved_phrases(request.user)})


@login_required
@require_POST
def phrase_delete(request, pk):
    try:
        services.phrase_delete(user=request.user, phrase_id=pk)
    except AppError as error:
        return JsonResponse({"detail": error.message, "code": error.code}, status=error.status)
    return JsonResponse({"phrases": selectors.saved_phrases(request.user)})
