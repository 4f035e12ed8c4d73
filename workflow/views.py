"""Browser pages: thin views over workflow.services and the selectors; every one checks the object."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import AppError
from core.pagination import keyset_page, page_size
from people import roles
from people.roles import display_name
from projects import downloads, exporting, validation
from projects.models import Agency, DepartmentGoals, FiscalYear, Indicator, Section, SheetState, SpendPlan, TargetSheet
from projects.rules import check_sheet
from projects.selectors import sheets_with_content
from projects.services import goals_set
from projects.docx.data import DepartmentGoalsData
from workflow import approval, forms, permissions, selectors, services
from workflow.snapshots import submission_diffs



def _sheet_for(user, pk) -> TargetSheet:
    return permissions.visible_sheet_or_404(user, pk, sheets_with_content())


def agency_or_404(code: str) -> Agency:
    """The agency of a URL's code; a code no column can hold (NUL, control characters, too long) is simply not found."""
    if validation.text_problem(code, "单位编码", max_length=20, multiline=False):
        raise Http404("没有找到该单位。")
    return get_object_or_404(Agency, code=code)


@login_required
def home(request):
    return redirect("inbox")


TASKS_SHOWN = 200


@login_required
def inbox(request):
    # the oldest TASKS_SHOWN tasks: a province's finance reviewer may have 25,000 waiting (they are oldest first)
    tasks = list(selectors.review_tasks(request.user)[:TASKS_SHOWN + 1])
    tasks_more = len(tasks) > TASKS_SHOWN
    tasks = tasks[:TASKS_SHOWN]
    drafts = list(selectors.drafts_to_do(request.user))
    context = {"tasks": tasks, "tasks_more": tasks_more, "drafts": drafts, "total": len(tasks) + len(drafts), "nav": "inbox"}
    return render(request, "workflow/inbox.html", context)


@login_required
def done_list(request):
    page = keyset_page(
        selectors.done_events(request.user), ("-created", "-id"),
        cursor=request.GET.get("cursor"), size=page_size(request.GET.get("size")),
    )
    visible = set(permissions.visible_sheets(request.user).filter(pk__in={e.sheet_id for e in page}).values_list("pk", flat=True))
    return render(request, "workflow/done.html", {"events": page.rows, "page": page, "visible": visible, "nav": "done"})


@login_required
def sheet_list(request):
    """The sheets the user may read, a keyset page at a time (no total: "下一页" while there is more).

    The checker runs on the shown page only, with its content read for those rows alone; the
    有错误/无错误 filter therefore narrows the shown page (the page says so).
    """
    filters = {
        "year": _int_or_none(request.GET.get("year")),
        "section": _int_or_none(request.GET.get("section")),
        "state": request.GET.get("state") if request.GET.get("state") in SheetState.values else None,
        "agency": (request.GET.get("agency") or "").strip()[:20] or None,
        "search": (request.GET.get("q") or "").strip()[:100] or None,
    }
    has_errors = request.GET.get("errors") if request.GET.get("errors") in ("0", "1") else ""
    params = {**{k: v for k, v in filters.items() if k != "search"}, "q": filters["search"], "errors": has_errors}
    page = keyset_page(
        selectors.sheet_list(request.user, **filters), selectors.SHEET_LIST_ORDER,
        cursor=request.GET.get("cursor"), size=page_size(request.GET.get("size")), params=params,
    )
    sheets = page.rows
    prefetch_related_objects(sheets, *CHECKER_CONTENT)
    for sheet in sheets:
        sheet.checked = check_sheet(sheet)
        sheet.error_count = sum(f.is_error for f in sheet.checked)
        sheet.warning_count = len(sheet.checked) - sheet.error_count
    agencies, agencies_many = _package_agencies(request.user, filters["agency"])
    if has_errors == "1":
        sheets = [s for s in sheets if s.error_count]
    elif has_errors == "0":
        sheets = [s for s in sheets if not s.error_count]
    context = {
        "sheets": sheets,
        "page": page,
        "filters": filters,
        "errors_filter": has_errors,
        "years": FiscalYear.objects.values_list("year", flat=True),
        "sections": _filter_sections(request.user, filters["agency"]),
        "states": SheetState.choices,
        "agencies": agencies,
        "agencies_many": agencies_many,
        "nav": "sheets",
    }
    return render(request, "workflow/sheet_list.html", context)


# what the checker reads beyond the list row, prefetched for the shown page only
CHECKER_CONTENT = (
    "fiscal_year__checkpoints",
    Prefetch("plan", queryset=SpendPlan.objects.select_related("checkpoint").order_by("checkpoint__date")),
    Prefetch("indicators", queryset=Indicator.objects.order_by("order", "id")),
)


# A province's finance reviewer holds thousands of agencies: the page lists their sections and package links
# only up to this many agencies, else those of the agency named in the 单位编码 filter.
CHOICES_AGENCIES_MAX = 20


def _filter_sections(user, agency_code=None):
    """The 科室 choices: the sections of the user's roles (and of their agencies' roles), not every section the list
    may show; with more than ``CHOICES_AGENCIES_MAX`` agencies, those of the filtered agency only."""
    if user.is_superuser:
        sections = Section.objects.select_related("agency").order_by("agency__code", "name")
        return sections.filter(agency__code=agency_code) if agency_code else sections[:200]
    section_ids = set().union(*(roles.scope_ids(user, role) for role in roles.SECTION_ROLES))
    agency_ids = set().union(*(roles.scope_ids(user, role) for role in (roles.Role.LEADER, roles.Role.FINANCE_REVIEWER)))
    if len(agency_ids) > CHOICES_AGENCIES_MAX:  # the filtered agency's sections, if it is one of theirs
        named = set(Agency.objects.filter(code=agency_code).values_list("pk", flat=True)) & agency_ids if agency_code else set()
        return Section.objects.filter(Q(pk__in=section_ids) | Q(agency_id__in=named)).order_by("agency_id", "name")
    return Section.objects.filter(Q(pk__in=section_ids) | Q(agency_id__in=agency_ids)).order_by("agency_id", "name")


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _package_agencies(user, agency_code=None) -> tuple:
    """Agencies whose package ``user`` may download (their leader, finance reviewer or an admin), and how many there
    are when that is more than ``CHOICES_AGENCIES_MAX`` (then only the filtered agency's links are shown)."""
    if user.is_superuser:
        agencies, many = Agency.objects.all(), Agency.objects.count() > CHOICES_AGENCIES_MAX
    else:
        ids = roles.scope_ids(user, roles.Role.LEADER) | roles.scope_ids(user, roles.Role.FINANCE_REVIEWER)
        if len(ids) > CHOICES_AGENCIES_MAX:  # the filtered agency, if it is one of theirs (no 20,000-id IN list)
            named = [a for a in Agency.objects.filter(code=agency_code)] if agency_code else []
            return [a for a in named if a.pk in ids], True
        agencies, many = Agency.objects.filter(pk__in=ids), False
    if many:
        return (agencies.filter(code=agency_code) if agency_code else Agency.objects.none()), True
    return agencies, False


@login_required
def sheet_detail(request, pk):
    sheet = _sheet_for(request.user, pk)
    findings = check_sheet(sheet)
    history = list(selectors.sheet_history(sheet))
    can_review = permissions.can_review(request.user, sheet)
    last_return = next((e for e in reversed(history) if e.action == "return"), None)
    context = {
        "sheet": sheet,
        "findings": findings,
        "sheet_findings": [f for f in findings if f.row is None],
        "row_findings": _findings_by_row(findings),
        "errors": [f for f in findings if f.is_error],
        "history": history,
        "diffs": submission_diffs(history),
        "stepbar": _stepbar(sheet, history),
        "can_edit": permissions.can_edit(request.user, sheet),
        "can_review": can_review,
        "approve_publishes": can_review and approval.next_state(sheet.state) == approval.DONE,
        "can_withdraw": services.withdraw_refusal(sheet, request.user) is None,
        "return_comment": last_return if sheet.state == SheetState.RETURNED else None,
        "return_form": forms.ReturnForm(),
        "comment_form": forms.CommentForm(),
        "reassign_form": forms.ReassignForm(candidates=services.reassign_candidates(sheet, request.user)) if can_review else None,
        "nav": "sheets",
    }
    return render(request, "workflow/sheet_detail.html", context)


def _stepbar(sheet, history) -> list[dict]:
    """草稿 → each review step → 已公开: done, current (with who holds it and since when) or to come."""
    current = SheetState.DRAFT if sheet.is_editable else sheet.state
    position = approval.ORDER.index(current)
    bar = []
    for index, state in enumerate(approval.ORDER):
        step = {"label": approval.state_label(state), "status": "done" if index < position else "current" if index == position else "todo"}
        if index == position:
            step["since"] = sheet.state_since
            if sheet.assignee_id:
                step["holder"] = display_name(sheet.assignee)
            elif approval.step_for(state):
                step["holder"] = roles.ROLE_LABELS[approval.step_for(state).role]
            else:
                step["holder"] = "经办人" if sheet.is_editable else "已完成"
        bar.append(step)
    if sheet.state == SheetState.RETURNED:
        bar[0]["label"] = "退回修改"
    return bar


def _findings_by_row(findings) -> dict:
    rows: dict = {}
    for finding in findings:
        if finding.row is not None:
            rows.setdefault(finding.row, []).append(finding)
    return rows


@login_required
def sheet_edit(request, pk):
    sheet = _sheet_for(request.user, pk)
    if not permissions.can_edit(request.user, sheet):
        messages.error(request, "这张表当前不能由您修改。")
        return redirect("sheet_detail", pk=sheet.pk)
    editor = _editor_forms(sheet, request.POST if request.method == "POST" else None)
    version = _int_or_none(request.POST.get("version")) if request.method == "POST" else sheet.version
    stale_error = None
    if request.method == "POST" and all([f.is_valid() for f in editor.values()]):
        try:
            services.sheet_edit(sheet=sheet, user=request.user, expected_version=version, **_edited_content(editor))
        except AppError as error:
            if error.status != 412:
                messages.error(request, error.message)
                return redirect("sheet_detail", pk=sheet.pk)
            stale_error = error.message  # keep the user's input on the page, next to what changed
        else:
            messages.success(request, "已保存。")
            if "submit" in request.POST:
                return _run(request, sheet, services.sheet_submit, "已提交科室审核。", expected_version=sheet.version)
            return redirect("sheet_detail", pk=sheet.pk)
    findings = check_sheet(forms.content_from_forms(editor["sheet_form"], editor["plan"], editor["rows"])) if request.method == "POST" else check_sheet(sheet)
    context = {"sheet": sheet, **editor, "findings": findings, "version": version, "stale_error": stale_error, "nav": "sheets"}
    return render(request, "workflow/sheet_edit.html", context)


def _editor_forms(sheet, data):
    initial_rows = [
        {"category": i.category, "subcategory": i.subcategory, "name": i.name, "description": i.description,
         "target_value": i.target_value, "basis": i.basis, "ORDER": n}
        for n, i in enumerate(sheet.indicators.all(), start=1)
    ]
    return {
        "sheet_form": forms.SheetForm(data, instance=sheet, prefix="sheet"),
        "plan": forms.PlanForm(
            data, prefix="plan", checkpoints=sheet.fiscal_year.checkpoints.all(),
            initial_percents={p.checkpoint_id: p.cumulative_percent for p in sheet.plan.all()},
        ),
        "rows": forms.IndicatorFormSet(data, initial=None if data else initial_rows, prefix="rows"),
    }


def _edited_content(editor) -> dict:
    data = editor["sheet_form"].cleaned_data
    return {
        "budget_total": data["budget_total"], "fiscal_funds": data["fiscal_funds"], "other_funds": data["other_funds"],
        "purpose": data["purpose"], "goal": data["goal"], "plan": editor["plan"].plan(),
        "indicators": forms.ordered_indicators(editor["rows"]),
    }


@login_required
@require_POST
def sheet_check(request, pk):
    """Findings for the editor's current input, as JSON (the edit page calls this as you type)."""
    sheet = _sheet_for(request.user, pk)
    if not permissions.can_edit(request.user, sheet):
        return JsonResponse({"detail": "无权修改这张表。"}, status=403)
    editor = _editor_forms(sheet, request.POST)
    for form in editor.values():
        form.is_valid()
    findings = check_sheet(forms.content_from_forms(editor["sheet_form"], editor["plan"], editor["rows"]))
    return JsonResponse({"findings": [f.as_dict() | {"severity_label": f.severity_label} for f in findings]})


def _run(request, sheet, move, success: str, *, expected_version=None, **kwargs):
    """Make the move on the version the page showed (its hidden ``version`` field) unless told which."""
    if expected_version is None:
        expected_version = _int_or_none(request.POST.get("version"))
    try:
        move(sheet=sheet, user=request.user, expected_version=expected_version, **kwargs)
    except AppError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
        sheet.refresh_from_db()
        if not permissions.can_view(request.user, sheet):
            return redirect("inbox")  # e.g. finance returned it: a returned sheet is no longer theirs to see
    return redirect("sheet_detail", pk=sheet.pk)


@login_required
@require_POST
def sheet_submit(request, pk):
    sheet = _sheet_for(request.user, pk)
    return _run(request, sheet, services.sheet_submit, "已提交科室审核。", comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_withdraw(request, pk):
    sheet = _sheet_for(request.user, pk)
    return _run(request, sheet, services.sheet_withdraw, "已撤回，可以继续修改。", comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_approve(request, pk):
    sheet = _sheet_for(request.user, pk)
    publishes = approval.step_for(sheet.state) is not None and approval.next_state(sheet.state) == approval.DONE
    success = "已通过，绩效目标表已公开。" if publishes else "已通过，转下一步审核。"
    return _run(request, sheet, services.sheet_approve, success, comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_return(request, pk):
    sheet = _sheet_for(request.user, pk)
    form = forms.ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "退回修改必须填写意见。")
        return redirect("sheet_detail", pk=sheet.pk)
    return _run(request, sheet, services.sheet_return, "已退回修改。", comment=form.cleaned_data["comment"])


@login_required
@require_POST
def sheet_reassign(request, pk):
    sheet = _sheet_for(request.user, pk)
    form = forms.ReassignForm(request.POST, candidates=services.reassign_candidates(sheet, request.user))
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("sheet_detail", pk=sheet.pk)
    return _run(
        request, sheet, services.task_reassign, f"已转办给{display_name(form.cleaned_data['user'])}。",
        to_user=form.cleaned_data["user"], comment=form.cleaned_data["comment"],
    )


@login_required
def sheet_download(request, pk):
    return downloads.sheet_download(_sheet_for(request.user, pk))


@login_required
def package_download(request, code, year):
    agency = agency_or_404(code)
    if not permissions.can_download_package(request.user, agency):
        raise Http404("没有找到该单位。")
    states = permissions.package_states(request.user, agency, published_only=request.GET.get("published") == "1")
    return downloads.docx_response(
        lambda target: exporting.export_package(agency=agency, year=year, target=target, states=states),
        f"{agency.code}{agency.name}{year}年预算绩效目标.docx",
    )


@login_required
def goals_list(request):
    agencies = [a for a in Agency.objects.all() if permissions.can_view_goals(request.user, a)]
    years = FiscalYear.objects.all()
    return render(request, "workflow/goals_list.html", {"agencies": agencies, "years": years, "nav": "goals"})


@login_required
def goals_edit(request, code, year):
    agency = agency_or_404(code)
    if not permissions.can_view_goals(request.user, agency):
        raise Http404("没有找到该单位。")
    fiscal_year = get_object_or_404(FiscalYear, year=year)
    record = DepartmentGoals.objects.filter(agency=agency, fiscal_year=fiscal_year).first()
    can_edit = permissions.can_edit_goals(request.user, agency)
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
    return render(request, "workflow/goals_edit.html", context)
