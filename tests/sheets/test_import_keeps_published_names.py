"""Importing a document for another year never renames the project of a published sheet: the preview says so."""

import io

from projects.docx.reader import read_document
from projects.docx.writer import write_document
from projects.models import SheetState, TargetSheet
from sheets import word_import


def test_preview_notes_that_a_published_projects_name_is_kept(people, seed_docx):
    sheet = TargetSheet.objects.get(position=1, fiscal_year__year=2024)
    TargetSheet.objects.filter(pk=sheet.pk).update(state=SheetState.PUBLISHED)
    data = read_document(seed_docx)
    data.sheets[0].project_name = "改过的项目名称"
    buffer = io.BytesIO()
    write_document(data, buffer)
    preview = word_import.import_preview(content=buffer.getvalue(), file_name="2025.docx", year=2025, user=people.admin)
    assert any("改过的项目名称" in note and sheet.project.name in note for note in preview.notes)
    sheet.project.refresh_from_db()
    assert sheet.project.name != "改过的项目名称"
