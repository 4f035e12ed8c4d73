"""Browser pages for spending (执行进度): a sheet's plan against actual with the report form, and the agency dashboard."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from core.errors import AppError
from core.pagination import page_size
from spending import services as spending
from projects import validation
from projects.models import Agency, Checkpoint, FiscalYear, SheetState, TargetSheet
from projects.values import format_number
from spending.models import EXPLANATION
from workflow import permissions

NOT_ALLOWED = "只有本科室人员、本单位局领导和财政审核人可以查看执行进度。"


class SpendReportForm(forms.Form):
    checkpoint = forms.ModelChoiceField(label="时间节点", queryset=Checkpoint.objects.none(), empty_label=None)
    amount = forms.DecimalField(
        label="截至该节点累计实际支出（万元）", min_value=0, max_digits=14, decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    explanation = forms.CharField(
        label="进度说明", required=False, validators=[validation.validator(EXPLANATION)],
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": EXPLANATION[1]}),
        help_text=spending.REASON_HINT,
    )

    def __init__(self, *args, sheet: TargetSheet, rules: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if rules:  # the year's rule pack says when the 进度说明 is required
            self.fields["explanation"].help_text = spending.reason_hint(rules.values())
        field = self.fields["checkpoint"]
        field.queryset = sheet.fiscal_year.checkpoints.order_by("date")
        field.label_from_instance = lambda cp: f"{cp.label}（{cp.date:%Y-%m-%d}）"


def _sheet_for(user, pk) -> TargetSheet:
    """404 for a sheet the user may not see at all; 403 when they see it but not its spending."""
    sheet = permissions.visible_document_or_404(user, pk, spending.with_spending(TargetSheet.objects.all()))
    if not spending.can_view(user, sheet):
        raise PermissionDenied(NOT_ALLOWED)
    return sheet


def _current_checkpoint(sheet: TargetSheet, today: datetime.date):
    """The checkpoint a report is most likely for: the latest one passed within three weeks, else the next one."""
    checkpoints = list(sheet.fiscal_year.checkpoints.all())
    for checkpoint in checkpoints:
        if checkpoint.date >= today - datetime.timedelta(days=21):
            return checkpoint
    return checkpoints[-1] if checkpoints else None


@login_required
def sheet_spending(request, pk):
    sheet = _sheet_for(request.user, pk)
    may_record = spending.can_record(request.user, sheet)
    rules = spending.year_rules(sheet.fiscal_year.year)
    form, status = None, 200
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied("只有本科室经办人可以填报执行进度。")
        form = SpendReportForm(request.POST, sheet=sheet, rules=rules)
        if form.is_valid():
            try:
                report = spending.spend_report_record(sheet=sheet, user=request.user, **form.cleaned_data)
            except AppError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                percent = spending.percent_of_budget(sheet, report.amount)
                messages.success(
                    request,
                    f"已保存“{report.checkpoint.label}”执行进度：累计支出 {format_number(report.amount)} 万元（{format_number(percent)}%）。",
                )
                return redirect("sheet_spending", pk=sheet.pk)
        else:
            status = 400
        sheet = _sheet_for(request.user, pk)  # the page shows the stored figures, not the refused ones
    elif may_record and sheet.is_published:
        form = SpendReportForm(sheet=sheet, rules=rules, initial={"checkpoint": _current_checkpoint(sheet, timezone.localdate())})
    points = spending.sheet_spending(sheet=sheet, rules=rules)
    context = {
        "sheet": sheet,
        "points": points,
        "chart": spending.chart(points),
        "form": form,
        "may_record": may_record,
        "nav": "sheets",
    }
    return render(request, "spending/sheet_spending.html", context, status=status)


@login_required
def agency_spending(request, code):
    if validation.text_problem(code, "单位编码", max_length=20, multiline=False):
        raise Http404("没有找到该单位。")  # a NUL or control character in the URL: no such agency (PostgreSQL refuses NUL)
    agency = get_object_or_404(Agency, code=code)
    if not spending.can_view_agency(request.user, agency):
        raise PermissionDenied("只有本单位局领导、财政审核人和管理员可以查看单位执行进度。")
    # the years the dashboard has something to show (published sheets), the latest first: it opens on that one
    years = list(
        FiscalYear.objects.filter(sheets__agency=agency, sheets__state=SheetState.PUBLISHED)
        .distinct().order_by("-year").values_list("year", flat=True)
    )
    try:
        year = int(request.GET.get("year") or (years[0] if years else timezone.localdate().year))
    except ValueError:
        year = years[0] if years else timezone.localdate().year
    data = spending.agency_spending(agency=agency, year=year)
    # the totals weigh every sheet of the agency (aggregate queries); the table reads only the page it shows
    rows_page = Paginator(spending.agency_sheets(agency=agency, year=year), page_size(request.GET.get("size"))).get_page(request.GET.get("page"))
    rows_page.object_list = spending.agency_rows(rows_page.object_list)
    context = {
        "data": data, "rows_page": rows_page, "agency": agency, "year": year, "years": years,
        "chart": spending.chart(data.totals), "nav": "sheets",
    }
    return render(request, "spending/agency_spending.html", context)
