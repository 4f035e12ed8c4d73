"""Browser pages of the Word import: upload → preview → 确认导入 / 取消, and 恢复导入前内容 on a sheet (thin views over sheets.word_import and sheets.services)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import AppError
from people import roles
from projects.docx.reader import MAX_FILE_BYTES
from projects.models import Section
from projects.selectors import sheets_with_content
from sheets import forms, services, word_import
from workflow import permissions
from workflow.models import Event


def _import_sections(user):
    """The sections ``user`` may import into (staff); None when they may not import at all."""
    sections = Section.objects.filter(pk__in=roles.scope_ids(user, roles.Role.STAFF)).select_related("agency")
    return sections if (sections.exists() or user.is_superuser) else None


@login_required
def import_upload(request):
    sections = _import_sections(request.user)
    if sections is None:
        messages.error(request, "只有经办人或管理员可以导入 Word 文件。")
        return redirect("inbox")
    form = forms.UploadForm(request.POST or None, request.FILES or None, sections=sections, required=not request.user.is_superuser)
    error = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            pending, _ = word_import.import_upload(
                user=request.user, file_name=upload.name, content=upload.read(MAX_FILE_BYTES + 1),
                year=form.cleaned_data["year"], section=form.cleaned_data.get("section"),
            )
        except AppError as exc:
            error = f"导入失败，未做任何修改。{exc.message}"
        else:
            return redirect("import_preview", pk=pending.pk)
    return render(request, "sheets/import.html", {"form": form, "error": error, "nav": "import"})


@login_required
def import_preview(request, pk):
    pending = get_object_or_404(word_import.pending_imports(request.user), pk=pk)
    try:
        preview = word_import.pending_preview(pending=pending, user=request.user)
    except AppError as exc:
        messages.error(request, f"无法导入，未做任何修改。{exc.message}")
        return redirect("import_upload")
    return render(request, "sheets/import_preview.html", {"pending": pending, "preview": preview, "nav": "import"})


@login_required
@require_POST
def import_confirm(request, pk):
    if word_import.pending_confirmed(request.user, pk):  # the result page was reloaded: nothing is imported twice
        messages.info(request, "这次导入已经确认过了，没有再次导入。")
        return redirect("import_upload")
    pending = get_object_or_404(word_import.pending_imports(request.user), pk=pk)
    try:
        result = word_import.import_confirm(pending=pending, user=request.user)
    except AppError as exc:
        messages.error(request, f"未导入，未做任何修改。{exc.message}")
        return redirect("import_upload")
    form = forms.UploadForm(sections=_import_sections(request.user) or Section.objects.none(), required=not request.user.is_superuser)
    return render(request, "sheets/import.html", {"form": form, "result": result, "file_name": pending.file_name, "nav": "import"})


@login_required
@require_POST
def import_cancel(request, pk):
    pending = get_object_or_404(word_import.pending_imports(request.user), pk=pk)
    word_import.import_cancel(pending=pending, user=request.user)
    messages.success(request, f"已取消导入“{pending.file_name}”，未做任何修改。")
    return redirect("import_upload")


@login_required
@require_POST
def sheet_restore(request, pk, event_id):
    sheet = permissions.visible_document_or_404(request.user, pk, sheets_with_content())
    event = get_object_or_404(Event, pk=event_id, sheet=sheet)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        services.sheet_restore(sheet=sheet, user=request.user, event=event, expected_version=version)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已恢复为导入前的内容。")
    return redirect("sheet_detail", pk=sheet.pk)
