"""The library pages (browse, one entry with its curation) and the editor's JSON suggest endpoint."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.errors import AppError
from library import permissions, selectors, services
from library.forms import MergeForm
from library.models import Entry
from projects.models import TargetSheet
from workflow.permissions import can_view


def _param(request, name: str, limit: int = 100) -> str:
    return (request.GET.get(name) or "").strip()[:limit]


@login_required
def library_index(request):
    category, subcategory, query = _param(request, "category", 50), _param(request, "subcategory", 50), _param(request, "q")
    show_retired = request.GET.get("retired") == "1"
    browsed = selectors.entries_browse(request.user, category=category, subcategory=subcategory, query=query, include_retired=show_retired)
    entries = list(browsed.defer(*selectors.NOT_LISTED)[: selectors.BROWSE_LIMIT + 1])
    truncated = len(entries) > selectors.BROWSE_LIMIT
    entries = entries[: selectors.BROWSE_LIMIT]
    usages = selectors.usages_visible(request.user, entries, per_entry=3)
    selectors.entries_described(request.user, entries, usages)
    merge_targets = selectors.visible_by_id(request.user, [e.merged_into_id for e in entries])
    for entry in entries:
        entry.visible_usages = usages.get(entry.pk, [])
        entry.merge_target = merge_targets.get(entry.merged_into_id)
    context = {
        "groups": selectors.groups(entries),
        "categories": selectors.categories(request.user),
        "filters": {"category": category, "subcategory": subcategory, "q": query, "retired": show_retired},
        "truncated": truncated,
        "limit": selectors.BROWSE_LIMIT,
        "count": len(entries),
        "can_curate": permissions.can_curate(request.user),
        "nav": "library",
    }
    return render(request, "library/index.html", context)


@login_required
def entry_detail(request, pk):
    """One entry the reader may see (404 otherwise: an entry only of others' drafts does not exist for them)."""
    entry = get_object_or_404(selectors.entries_visible(request.user, Entry.objects.all()), pk=pk)
    can_curate = permissions.can_curate(request.user)
    usages = selectors.usages_visible(request.user, [entry], per_entry=100)
    selectors.entries_described(request.user, [entry], usages)
    events = list(entry.curation_events.select_related("actor")[:50]) if can_curate else []
    shown = selectors.visible_by_id(request.user, [entry.merged_into_id, *(event.other_id for event in events)])
    for event in events:
        event.other_shown = shown.get(event.other_id)
    context = {
        "entry": entry,
        "merge_target": shown.get(entry.merged_into_id),
        "usages": usages.get(entry.pk, []),
        "merged": list(selectors.entries_visible(request.user, entry.merged.order_by("name"))),
        "events": events,
        "can_curate": can_curate,
        "merge_form": MergeForm(duplicate=entry, user=request.user) if can_curate and not entry.retired else None,
        "nav": "library",
    }
    return render(request, "library/entry.html", context)


def _curate(request, pk, action):
    entry = get_object_or_404(selectors.entries_visible(request.user, Entry.objects.all()), pk=pk)
    try:
        message = action(entry)
    except AppError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return redirect("library_entry", pk=entry.pk)


@login_required
@require_POST
def entry_recommend(request, pk):
    recommended = request.POST.get("recommended", "1") == "1"

    def act(entry):
        services.entry_recommend(entry=entry, user=request.user, recommended=recommended)
        return "已设为推荐。" if recommended else "已取消推荐。"

    return _curate(request, pk, act)


@login_required
@require_POST
def entry_retire(request, pk):
    retired = request.POST.get("retired", "1") == "1"

    def act(entry):
        services.entry_retire(entry=entry, user=request.user, retired=retired, note=request.POST.get("note", "")[:500])
        return "已停用，编辑时不再推荐此条目。" if retired else "已恢复使用。"

    return _curate(request, pk, act)


@login_required
@require_POST
def entry_merge(request, pk):
    def act(entry):
        permissions.ensure_curator(request.user)
        form = MergeForm(request.POST, duplicate=entry, user=request.user)
        if not form.is_valid():
            raise AppError("；".join(e for errors in form.errors.values() for e in errors))
        keep = services.entries_merge(duplicate=entry, keep=form.cleaned_data["keep"], user=request.user, note=form.cleaned_data["note"])
        return f"已合并到“{keep.name}”，使用记录已归入该条目。"

    return _curate(request, pk, act)


@require_GET
def suggest(request):
    """``?category=产出指标&subcategory=数量指标&q=zjz&sheet=12`` → entries, recommended first; with ``sheet`` (one the
    user may see) each carries last year's value of the same project's indicator of that name."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "请先登录。"}, status=403)
    category = _param(request, "category", 50)
    if not category:
        return JsonResponse({"detail": "请指定一级指标（category）。"}, status=400)
    sheet = None
    sheet_id = request.GET.get("sheet")
    if sheet_id:
        sheet = TargetSheet.objects.select_related("fiscal_year", "section", "agency").filter(pk=sheet_id if sheet_id.isdigit() else 0).first()
        if sheet is None or not can_view(request.user, sheet):
            return JsonResponse({"detail": "没有找到这张绩效目标表。"}, status=404)
    entries = selectors.suggestions(request.user, category=category, subcategory=_param(request, "subcategory", 50), query=_param(request, "q"))
    last_year = selectors.last_year_values(request.user, sheet, [e.name for e in entries])
    return JsonResponse({"results": [selectors.entry_as_dict(e, last_year=last_year.get(e.name)) for e in entries]})
