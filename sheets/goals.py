"""部门整体绩效目标: the agencies' goals by year, read by whoever may see the agency, edited by its 局领导 or an admin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from core.errors import AppError
from projects.docx.data import DepartmentGoalsData
from projects.models import Agency, DepartmentGoals, FiscalYear
from projects.selectors import agency_or_404
from projects.services import goals_set
from sheets import forms
from sheets import permissions as sheet_permissions


@login_required
def goals_list(request):
    agencies = [a for a in Agency.objects.all() if sheet_permissions.can_view_goals(request.user, a)]
    years = FiscalYear.objects.all()
    return render(request, "sheets/goals_list.html", {"agencies": agencies, "years": years, "nav": "goals"})


@login_required
def goals_edit(request, code, year):
    agency = agency_or_404(code)
    if not sheet_permissions.can_view_goals(request.user, agency):
        raise Http404("没有找到该单位。")
    fiscal_year = get_object_or_404(FiscalYear, year=year)
    record = DepartmentGoals.objects.filter(agency=agency, fiscal_year=fiscal_year).first()
    can_edit = sheet_permissions.can_edit_goals(request.user, agency)
    initial = {name: getattr(record, name, "") for name in ("overall", "itemized", "safeguards")}
    form = forms.GoalsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not can_edit:
            messages.error(request, "只有本单位局领导或管理员可以修改部门整体绩效目标。")
            return redirect("goals_edit", code=code, year=year)
        if form.is_valid():
            goals = DepartmentGoalsData(**{n: DepartmentGoals.paragraphs(form.cleaned_data[n]) for n in initial})
            try:
                goals_set(agency=agency, fiscal_year=fiscal_year, goals=goals, user=request.user)
            except AppError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "部门整体绩效目标已保存。")
                return redirect("goals_edit", code=code, year=year)
    context = {"agency": agency, "fiscal_year": fiscal_year, "form": form, "record": record, "can_edit": can_edit, "nav": "goals"}
    return render(request, "sheets/goals_edit.html", context)
