"""部门整体绩效目标: the agencies' goals by year, read by whoever may see the agency, edited by its 局领导 or an admin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import AppError
from projects.docx.data import DepartmentGoalsData
from projects.models import Agency, DepartmentGoals, FiscalYear
from projects.selectors import agency_or_404
from projects.services import goals_editable_refusal, goals_set
from sheets import forms
from sheets import permissions as sheet_permissions
from workflow import permissions
from workflow import services as moves


@login_required
def goals_list(request):
    agencies = [a for a in Agency.objects.all() if sheet_permissions.can_view_goals(request.user, a)]
    years = FiscalYear.objects.all()
    return render(request, "sheets/goals_list.html", {"agencies": agencies, "years": years, "nav": "goals"})


def _goals_page(request, code, year):
    agency = agency_or_404(code)
    if not sheet_permissions.can_view_goals(request.user, agency):
        raise Http404("没有找到该单位。")
    fiscal_year = get_object_or_404(FiscalYear, year=year)
    record = DepartmentGoals.objects.select_related("agency", "fiscal_year", "updated_by").filter(
        agency=agency, fiscal_year=fiscal_year
    ).first()
    return agency, fiscal_year, record


def _stepbar(record) -> list[dict]:
    chain = DepartmentGoals.approval_chain
    order = chain.order
    current = chain.draft if record is None or record.state in chain.drafting else record.state
    position = order.index(current)
    bar = [{"label": chain.label(state), "status": "done" if i < position else "current" if i == position else "todo"}
           for i, state in enumerate(order)]
    if record is not None and record.state == chain.returned:
        bar[0]["label"] = chain.label(chain.returned)
    return bar


@login_required
def goals_edit(request, code, year):
    """The agency's goals of a year: edited by its 局领导 while a draft (or returned), submitted to finance, which
    approves (publishes them with the sheets) or returns them; the step bar and the history say where they are."""
    agency, fiscal_year, record = _goals_page(request, code, year)
    may_write = sheet_permissions.can_edit_goals(request.user, agency)
    can_edit = may_write and (record is None or record.is_editable)
    initial = {name: getattr(record, name, "") for name in ("overall", "itemized", "safeguards")}
    form = forms.GoalsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not can_edit:
            messages.error(request, goals_editable_refusal(record) or "只有本单位局领导或管理员可以修改部门整体绩效目标。")
            return redirect("goals_edit", code=code, year=year)
        if form.is_valid():
            goals = DepartmentGoalsData(**{n: DepartmentGoals.paragraphs(form.cleaned_data[n]) for n in initial})
            try:
                version = int(request.POST.get("version") or 0) or None
            except ValueError:
                version = None
            try:
                goals_set(agency=agency, fiscal_year=fiscal_year, goals=goals, user=request.user, expected_version=version)
            except AppError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "部门整体绩效目标已保存。")
                return redirect("goals_edit", code=code, year=year)
    history = list(record.events.select_related("actor").order_by("created", "id")) if record is not None else []
    last_return = next((e for e in reversed(history) if e.action == "return"), None)
    chain = DepartmentGoals.approval_chain
    context = {
        "agency": agency, "fiscal_year": fiscal_year, "form": form, "record": record, "can_edit": can_edit, "nav": "goals",
        "stepbar": _stepbar(record), "history": history,
        "state_label": chain.label(record.state) if record is not None else chain.label(chain.draft),
        "can_submit": record is not None and record.is_editable and permissions.can_edit(request.user, record),
        "can_withdraw": record is not None and moves.withdraw_refusal(record, request.user) is None,
        "can_review": record is not None and permissions.can_review(request.user, record),
        "return_comment": last_return if record is not None and record.state == chain.returned else None,
    }
    return render(request, "sheets/goals_edit.html", context)


GOAL_MOVES = {
    "submit": (moves.document_submit, "已提交财政审核。"),
    "withdraw": (moves.document_withdraw, "已撤回，可以继续修改。"),
    "approve": (moves.document_approve, "已通过并公开。"),
    "return": (moves.document_return, "已退回修改。"),
}


@login_required
@require_POST
def goals_move(request, code, year, move):
    """提交, 撤回, 通过 (公开), 退回修改 of the department goals: the engine's moves, with the version the page showed."""
    if move not in GOAL_MOVES:
        raise Http404("没有这项操作。")
    agency, fiscal_year, record = _goals_page(request, code, year)
    if record is None:
        messages.error(request, "请先填写并保存部门整体绩效目标。")
        return redirect("goals_edit", code=code, year=year)
    service, success = GOAL_MOVES[move]
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        service(document=record, user=request.user, expected_version=version, comment=request.POST.get("comment", ""))
    except AppError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect("goals_edit", code=code, year=year)
