"""Word downloads over HTTP: one place builds the response for pages, the public site and the API."""

import io

from django.http import FileResponse
from django.utils.http import content_disposition_header

from projects import exporting

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_response(write, filename: str) -> FileResponse:
    """``write(target)`` writes a .docx into a buffer; the response offers it as ``filename``."""
    buffer = io.BytesIO()
    write(buffer)
    buffer.seek(0)
    response = FileResponse(buffer, content_type=DOCX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def sheet_download(sheet) -> FileResponse:
    return docx_response(
        lambda target: exporting.export_sheet(sheet=sheet, target=target),
        f"{sheet.project.code}-{sheet.display_title}绩效目标表.docx",
    )
