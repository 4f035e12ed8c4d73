"""Published sheets for everyone, without signing in."""

import io

from django.http import FileResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header

from projects import exporting
from projects.models import SheetState
from projects.selectors import sheets_with_content

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _published():
    return sheets_with_content().filter(state=SheetState.PUBLISHED)


def public_list(request):
    sheets = _published().order_by("-fiscal_year__year", "agency__code", "position")
    return render(request, "projects/public_list.html", {"sheets": sheets})


def public_detail(request, pk):
    sheet = get_object_or_404(_published(), pk=pk)
    return render(request, "projects/public_detail.html", {"sheet": sheet})


def public_download(request, pk):
    sheet = get_object_or_404(_published(), pk=pk)
    buffer = io.BytesIO()
    exporting.export_sheet(sheet=sheet, target=buffer)
    buffer.seek(0)
    response = FileResponse(buffer, content_type=DOCX)
    response["Content-Disposition"] = content_disposition_header(True, f"{sheet.project.code}-{sheet.display_title}绩效目标表.docx")
    return response
