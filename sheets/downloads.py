"""Word downloads over HTTP: one place builds the response for the sheet page, the public site, the API and the
agency package (``exports.views.package_download``). The Word tables themselves: ``projects.exporting`` (models →
plain data) and ``projects.docx.writer`` (plain data → the official tables)."""

import io

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.utils.http import content_disposition_header

from projects import exporting
from sheets.views import sheet_for

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_response(write, filename: str) -> FileResponse:
    """``write(target)`` writes a .docx into a buffer; the response offers it as ``filename``."""
    buffer = io.BytesIO()
    write(buffer)
    buffer.seek(0)
    response = FileResponse(buffer, content_type=DOCX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def sheet_response(sheet) -> FileResponse:
    """One sheet as its official Word table."""
    return docx_response(
        lambda target: exporting.export_sheet(sheet=sheet, target=target),
        f"{sheet.project.code}-{sheet.display_title}绩效目标表.docx",
    )


@login_required
def sheet_download(request, pk):
    return sheet_response(sheet_for(request.user, pk))
