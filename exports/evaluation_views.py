"""Downloads of the self-evaluations: a 自评表 as Word (public, or for those who may read it), an agency's year as an
Excel summary (public: the public ones; the agency's view: all, for its leader and finance)."""

from __future__ import annotations

import io
import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header

from evaluations import agency as agency_reads
from evaluations import selectors, tables
from exports import evaluation_files, services
from projects.models import FiscalYear
from projects.selectors import agency_or_404
from people import roles
from workflow.documents import chain_of


def _file(handle, name: str, content_type: str) -> FileResponse:
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _docx(evaluation, *, public_on=None, state_label: str = "") -> FileResponse:
    table = tables.evaluation_table(evaluation, state_label=state_label, public_on=public_on)
    buffer = io.BytesIO()
    evaluation_files.write_evaluation(table, buffer)
    buffer.seek(0)
    return _file(buffer, evaluation_files.evaluation_file_name(table), evaluation_files.DOCX)


def public_evaluation_docx(request, pk):
    """A public 自评表 as Word, for everyone."""
    evaluation = selectors.public_evaluation_or_404(pk)
    return _docx(evaluation, public_on=selectors.published_on(evaluation))


@login_required
def evaluation_docx(request, pk):
    """A 自评表 as Word for whoever may read it (its drafters and reviewers at every state)."""
    evaluation = selectors.evaluation_or_404(request.user, pk)
    return _docx(evaluation, public_on=selectors.published_on(evaluation), state_label=selectors.state_label(evaluation))


def _department_docx(evaluation, *, state_label: str = "") -> FileResponse:
    table = tables.department_table(evaluation, state_label=state_label, public_on=selectors.department_published_on(evaluation))
    buffer = io.BytesIO()
    evaluation_files.write_department_evaluation(table, buffer)
    buffer.seek(0)
    return _file(buffer, evaluation_files.department_file_name(table), evaluation_files.DOCX)


def public_department_evaluation_docx(request, pk):
    """A public 部门整体自评表 as Word, for everyone."""
    return _department_docx(selectors.public_department_or_404(pk))


@login_required
def department_evaluation_docx(request, pk):
    """A 部门整体自评表 as Word for whoever may read it (as its page: the agency's leader at every state, finance from
    its step on, everyone signed in once published)."""
    evaluation = selectors.department_or_404(request.user, pk)
    return _department_docx(evaluation, state_label=chain_of(evaluation).label(evaluation.state))


def _summary(agency, fiscal_year, *, public_only: bool) -> FileResponse:
    figures = agency_reads.figures(agency, fiscal_year, public_only=public_only)
    handle = tempfile.TemporaryFile(dir=services.exports_root())
    try:
        with services.run_directory() as directory:
            evaluation_files.write_summary(
                agency_reads.summary_rows(agency, fiscal_year, public_only=public_only), handle,
                average=figures.average, department=agency_reads.department_row(agency, fiscal_year, public_only=public_only),
                tmpdir=str(directory),
            )
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    name = evaluation_files.summary_file_name(agency.code, agency.name, fiscal_year.year, public=public_only, today=timezone.localdate())
    return _file(handle, name, evaluation_files.XLSX)


def public_summary_xlsx(request, code, year):
    """The public self-evaluations of an agency's year as Excel, for everyone."""
    return _summary(agency_or_404(code), get_object_or_404(FiscalYear, year=year), public_only=True)


@login_required
def agency_summary_xlsx(request, code, year):
    """Every published sheet of an agency's year with its self-evaluation, for the agency's leader and finance."""
    agency = agency_or_404(code)
    if not roles.oversees(request.user, agency):
        raise Http404("没有找到该单位。")
    return _summary(agency, get_object_or_404(FiscalYear, year=year), public_only=False)
