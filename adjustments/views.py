"""The pages of 目标调整: opening an adjustment of a published sheet (its section's 经办人), and the Word file of an
archived version (public, as the sheet is). The adjustment itself is edited, checked and moved on the sheet pages by
its own id; what they show of it (reason, diff, versions) comes from ``adjustments.templatetags``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from adjustments import services
from core.errors import AppError
from projects import exporting
from projects.models import ADJUSTMENT_REASON_MAX, SheetState, TargetSheet
from projects.revisions import archived_version, open_adjustment
from projects.selectors import sheets_with_content
from sheets.downloads import docx_response
from workflow import permissions


def _restore_of(request) -> int | None:
    value = request.POST.get("restore") or request.GET.get("restore")
    return int(value) if value and value.isdigit() else None


@login_required
def adjustment_new(request, pk):
    """目标调整: the form (调整原因, 调整后预算数) and its submission; the new adjustment opens in the editor's page."""
    sheet = permissions.visible_document_or_404(request.user, pk, sheets_with_content())
    restore = _restore_of(request)
    context = {
        "sheet": sheet, "restore": archived_version(sheet, restore) if restore else None, "open": open_adjustment(sheet),
        "reason_max": ADJUSTMENT_REASON_MAX, "nav": "sheets",
        "reason": request.POST.get("reason", "撤销上次调整：恢复为此前的版本。" if restore else ""),
        "adjusted_budget": request.POST.get("adjusted_budget", ""),
    }
    if request.method == "POST":
        try:
            adjustment = services.adjustment_open(
                sheet=sheet, user=request.user, reason=request.POST.get("reason", ""),
                adjusted_budget=(request.POST.get("adjusted_budget") or "").strip() or None, restore=restore,
            )
        except AppError as error:
            context["error"] = error.message
            return render(request, "adjustments/new.html", context, status=error.status)
        messages.success(request, "已发起目标调整：请修改调整后的内容，体检无误后提交审核。调整通过前，公开的仍是现行版本。")
        return redirect("sheet_edit", adjustment.pk)
    return render(request, "adjustments/new.html", context)


@login_required
def adjustment_discard(request, pk):
    """放弃调整 (POST from the confirmation on the adjustment's page): back to the sheet in force, whose history records
    it; a refusal is shown on the adjustment's page."""
    adjustment = permissions.visible_document_or_404(request.user, pk, TargetSheet.documents.all())
    if request.method != "POST":
        return redirect("sheet_detail", adjustment.pk)
    version = request.POST.get("version", "")
    try:
        event = services.adjustment_discard(
            adjustment=adjustment, user=request.user, expected_version=int(version) if version.isdigit() else None
        )
    except AppError as error:
        messages.error(request, error.message)
        return redirect("sheet_detail", adjustment.pk)
    messages.success(request, "已放弃这份目标调整：现行版本不变，办理记录中记下了这次放弃。如仍需调整，可重新发起。")
    return redirect("sheet_detail", event.sheet_id)


def version_download(request, pk, version_id):
    """The Word file of an earlier version of a published sheet (调整前), for everyone as the public page is."""
    sheet = get_object_or_404(TargetSheet.objects.filter(state=SheetState.PUBLISHED), pk=pk)
    version = archived_version(sheet, version_id)
    if version is None:
        raise Http404("没有找到这张表的这个历史版本。")
    until = timezone.localtime(version.in_force_until)
    version = sheets_with_content(TargetSheet.all_objects.filter(pk=version.pk)).get()
    return docx_response(
        lambda target: exporting.export_sheet(sheet=version, target=target),
        f"{sheet.project.code}-{sheet.display_title}绩效目标表（调整前，{until:%Y-%m-%d}止）.docx",
    )
