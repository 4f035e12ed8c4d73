"""Browser pages and API endpoints of the exports: the sheet list's Excel, an agency's Word package, background jobs
and their progress."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from core import errors
from core.errors import AppError
from exports import selectors, services
from exports.models import ExportJob, ExportKind, ExportStatus
from projects import exporting
from projects.models import SheetState
from projects.selectors import agency_or_404, package_sheets
from sheets import downloads
from sheets import permissions as sheet_permissions


def file_response(handle, file_name: str, content_type: str) -> FileResponse:
    """``handle`` (an open binary file) streamed in blocks, closed when the response is."""
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    return response


def xlsx_response(user, filters: dict) -> FileResponse:
    """A small Excel summary, written in the request to a temporary file (gone once closed) and streamed from it."""
    handle = tempfile.TemporaryFile(dir=services.exports_root())
    try:
        with services.run_directory() as directory:
            services.xlsx_write(user=user, filters=filters, target=handle, tmpdir=str(directory))
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return file_response(handle, services.xlsx_file_name(filters), services.XLSX)


def start_page(request, *, kind: str, filters: dict, back: str):
    """A large export: the page that starts it in the background (a POST, so a link never starts work by itself)."""
    context = {"kind": kind, "kind_label": ExportKind(kind).label, "filters": filters, "limit": services.background_from(), "back": back}
    return render(request, "exports/start.html", context)


@login_required
def package_download(request, code, year):
    """An agency's year of sheets as one Word package (全部, or 已公开 only); a large one is built in the background."""
    agency = agency_or_404(code)
    if not sheet_permissions.can_download_package(request.user, agency):
        raise Http404("没有找到该单位。")
    published_only = request.GET.get("published") == "1"
    states = sheet_permissions.package_states(request.user, agency, published_only=published_only)
    if selectors.count_upto(package_sheets(agency=agency, year=year, states=states), services.background_from()) >= services.background_from():
        filters = {"agency": agency.code, "year": year, "published_only": published_only}
        return start_page(request, kind="docx", filters=filters, back=reverse("sheet_list"))
    return downloads.docx_response(
        lambda target: exporting.export_package(agency=agency, year=year, target=target, states=states),
        exporting.package_file_name(agency, year, states=states),
    )


@login_required
def sheets_xlsx(request):
    """“导出 Excel” from the sheet list: its filters, its permissions; a large set goes to the background."""
    filters = selectors.clean_filters(request.GET)
    if services.export_size(user=request.user, kind=ExportKind.XLSX, filters=filters) >= services.background_from():
        return start_page(request, kind=ExportKind.XLSX, filters=filters, back=reverse("sheet_list") + "?" + request.GET.urlencode())
    return xlsx_response(request.user, filters)


@login_required
@require_POST
def export_start(request):
    kind = request.POST.get("kind", "")
    if kind == ExportKind.DOCX:
        filters = {"agency": request.POST.get("agency"), "year": request.POST.get("year"), "published_only": request.POST.get("published_only") == "1"}
    else:
        filters = selectors.clean_filters(request.POST)
    try:
        job = services.export_job_start(user=request.user, kind=kind, filters=filters)
    except AppError as error:
        messages.error(request, error.message)
        return redirect("sheet_list")
    return redirect("export_job", pk=job.pk)  # a broker that could not take it: the page shows why, with 重试


@login_required
def export_job(request, pk):
    job = services.job_for_owner(request.user, pk)
    return render(request, "exports/job.html", {"job": job, "status": _status(job), "nav": "sheets"})


@login_required
@require_POST
def export_retry(request, pk):
    """重试 on a failed job's progress page (its owner only: anyone else gets 404)."""
    try:
        services.export_job_retry(user=request.user, job_id=pk)
    except AppError as error:
        if error.status == 404:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, "已重新开始导出。")
    return redirect("export_job", pk=pk)


@login_required
def export_status(request, pk):
    return JsonResponse(_status(services.job_for_owner(request.user, pk)))


@login_required
def export_download(request, pk):
    return _download(services.job_for_owner(request.user, pk))


def _status(job: ExportJob) -> dict:
    done = job.status == ExportStatus.DONE
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "status_label": job.get_status_display(),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "error": job.error,
        "file_name": job.file_name,
        "size": job.size,
        "size_label": filesizeformat(job.size) if job.size is not None else "",
        "can_retry": job.can_retry,
        "download_url": reverse("export_download", args=[job.pk]) if done else None,
        "expires": timezone.localtime(job.expires).isoformat(),
    }


def _download(job: ExportJob) -> HttpResponse:
    if job.expires < timezone.now():
        raise errors.not_found("这个导出文件已过期，请重新导出。")
    if job.status != ExportStatus.DONE:
        raise errors.conflict("文件还没有生成完，请稍候。", code="export_not_ready")
    path = services.job_file(job)
    try:
        handle = open(path, "rb") if path else None
    except FileNotFoundError:
        handle = None
    if handle is None:
        raise errors.not_found("这个导出文件已不存在，请重新导出。")
    return file_response(handle, job.file_name, services.XLSX if job.kind == ExportKind.XLSX else services.DOCX)


# ---------------------------------------------------------------- API


def _api_filters(params) -> dict:
    state = params.get("state")
    if state and state not in SheetState.values:
        raise errors.invalid(f"未知的状态“{state}”，可选：{'、'.join(SheetState.values)}。")
    for name in ("year", "section"):
        if params.get(name) and not str(params.get(name)).isdigit():
            raise errors.invalid("year 与 section 必须是整数。")
    return selectors.clean_filters(params)


class ExportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ExportKind.choices)
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    status_label = serializers.CharField()
    done = serializers.IntegerField(help_text="已处理的绩效目标表张数")
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    error = serializers.CharField(help_text="失败时的中文说明")
    can_retry = serializers.BooleanField(help_text="失败的任务，申请人可以 POST retry_url 重试")
    file_name = serializers.CharField()
    size = serializers.IntegerField(allow_null=True, help_text="完成后文件的字节数")
    size_label = serializers.CharField(help_text="文件大小（如 126.3 MB）")
    status_url = serializers.CharField()
    retry_url = serializers.CharField()
    download_url = serializers.CharField(allow_null=True, help_text="完成后可下载；只有申请人可以下载")
    expires = serializers.DateTimeField()


_FILTER_PARAMETERS = [
    OpenApiParameter("year", int), OpenApiParameter("state", str, enum=SheetState.values), OpenApiParameter("section", int),
    OpenApiParameter("agency", str, description="单位编码"), OpenApiParameter("q", str, description="项目名称或编码中的文字"),
]


@extend_schema(
    methods=["GET"], parameters=_FILTER_PARAMETERS, responses={(200, services.XLSX): bytes}, operation_id="sheets_export_xlsx",
)
@extend_schema(
    methods=["POST"], parameters=_FILTER_PARAMETERS, request=None, responses={202: ExportJobSerializer},
    operation_id="sheets_export_xlsx_start",
)
@api_view(["GET", "POST"])
def api_sheets_xlsx(request):
    """GET: the Excel summary of the sheets ``/api/sheets/`` lists with the same filters (409 from 1,000 sheets
    on); POST with the same query: start it in the background (202 and the job's status)."""
    filters = _api_filters(request.query_params)
    if request.method == "POST":
        job = services.export_job_start(user=request.user, kind=ExportKind.XLSX, filters=filters)
        return _api_job(services.job_for_owner(request.user, job.pk), status=202)  # as it is after queueing
    if services.export_size(user=request.user, kind=ExportKind.XLSX, filters=filters) >= services.background_from():
        query = urlencode({k: v for k, v in request.query_params.items()})
        raise errors.conflict(
            f"符合条件的绩效目标表有 {services.background_from()} 张以上，请用 POST {request.path}?{query} 在后台生成，再按返回的 status_url 查看进度。",
            code="export_too_large",
        )
    return xlsx_response(request.user, filters)


def _api_job(job: ExportJob, status: int = 200) -> Response:
    body = _status(job) | {
        "status_url": reverse("api_export_job", args=[job.pk]),
        "retry_url": reverse("api_export_retry", args=[job.pk]),
        "download_url": reverse("api_export_download", args=[job.pk]) if job.status == ExportStatus.DONE else None,
    }
    return Response(body, status=status, headers={"Location": body["status_url"]} if status == 202 else None)


@extend_schema(responses=ExportJobSerializer)
@api_view(["GET"])
def api_export_job(request, pk):
    return _api_job(services.job_for_owner(request.user, pk))


@extend_schema(request=None, responses={202: ExportJobSerializer})
@api_view(["POST"])
def api_export_retry(request, pk):
    """Start a failed job again (its owner only; at most EXPORT_MAX_ACTIVE_PER_USER queued or running at once)."""
    services.export_job_retry(user=request.user, job_id=pk)
    return _api_job(services.job_for_owner(request.user, pk), status=202)


@extend_schema(responses={(200, services.XLSX): bytes})
@api_view(["GET"])
def api_export_download(request, pk):
    return _download(services.job_for_owner(request.user, pk))
