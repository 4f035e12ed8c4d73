"""Browser pages: thin views over workflow.services and the selectors; every one checks the object."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.conf import settings
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import AppError
from core.pagination import keyset_page, page_size
from exports import services as export_services
from exports import views as export_views
from exports.selectors import count_upto as selectors_count_upto
from people import roles
from people.roles import display_name
from projects import downloads, exporting, validation
from projects.models import Agency, DepartmentGoals, FiscalYear, Section, SheetState, TargetSheet
from projects.rules import check_sheet
from projects.selectors import package_sheets, sheets_with_content, verdicts_load
from projects.values import format_number
from projects.services import goals_set
from projects.docx.data import DepartmentGoalsData
from workflow import flow, forms, permissions, rollover, selectors, services
from workflow.documents import chain_of
from workflow.models import Action, SavedPhrase
from workflow.snapshots import diff_snapshots, submission_diffs



def _sheet_for(user, pk) -> TargetSheet:
    return permissions.visible_document_or_404(user, pk, sheets_with_content())


def agency_or_404(code: str) -> Agency:
    """The agency of a URL's code; a code no column can hold (NUL, control characters, too long) is simply not found."""
    if validation.text_problem(code, "单位编码", max_length=20, multiline=False):
        raise Http404("没有找到该单位。")
    return get_object_or_404(Agency, code=code)


@login_required
def home(request):
    return redirect("inbox")


TASKS_SHOWN = 50  # a page of cards (each shows its stored checker verdict: batch 通过 only for clean sheets)


@login_required
def inbox(request):
    # the oldest TASKS_SHOWN tasks: a province's finance reviewer may have 25,000 waiting (they are oldest first)
    search = selectors.search_text(request.GET.get("q"))
    cards = selectors.task_cards(request.user, limit=TASKS_SHOWN + 1, search=search)
    tasks_more = len(cards) > TASKS_SHOWN
    cards = cards[:TASKS_SHOWN]
    drafts = list(
        selectors.drafts_to_do(request.user, TargetSheet).select_related("project", "fiscal_year", "section").order_by("-state", "position")
    )
    context = {
        "cards": cards, "tasks_more": tasks_more, "drafts": drafts, "total": len(cards) + len(drafts), "nav": "inbox",
        "search": search,
        "batchable": sum(card.batchable for card in cards), "nudge_after": settings.NUDGE_AFTER_WORKDAYS,
        "batch_publishes": any(card.batchable and card.publishes for card in cards),
        "last_step": chain_of(TargetSheet).steps[-1].label,
        # 单位 on each card where the queue mixes agencies: finance reviews several, the others work in one
        "show_agency": roles.holds_any(request.user, roles.Role.FINANCE_REVIEWER)
        or len({card.document.agency_id for card in cards}) > 1,
    }
    return render(request, "workflow/inbox.html", context)


BATCH_MAX = 100


@login_required
@require_POST
def inbox_batch_approve(request):
    """批量通过 the ticked cards of 待办: each sheet on the version its card showed, each a separate recorded move.

    A batch that would publish (财政审核, the last step) is first shown on a confirmation page saying 通过并公开 with the
    count and the total amount; only its ``confirm`` sends it."""
    ids = [pk for pk in (_int_or_none(v) for v in request.POST.getlist("sheet")) if pk is not None][:BATCH_MAX]
    if not ids:
        messages.error(request, "请先勾选要批量通过的绩效目标表。")
        return redirect("inbox")
    versions = {pk: _int_or_none(request.POST.get(f"version-{pk}")) for pk in dict.fromkeys(ids)}
    if "confirm" not in request.POST:
        preview = selectors.batch_preview(request.user, TargetSheet, versions)
        if any(row.publishes for row in preview.rows):
            return render(request, "workflow/batch_confirm.html", {"preview": preview, "versions": versions, "nav": "inbox"})
    outcome = services.documents_approve_batch(model=TargetSheet, user=request.user, versions=versions)
    published = [event.document for event in outcome.approved if event.action == Action.PUBLISH]
    passed = len(outcome.approved) - len(published)
    if passed:
        messages.success(request, f"已批量通过 {passed} 张绩效目标表，每张均已记入办理记录。")
    if published:
        total = sum((sheet.budget_total for sheet in published), Decimal("0.00"))
        messages.success(
            request, f"已通过并公开 {len(published)} 张绩效目标表，预算合计 {total} 万元，已在公开页面发布，每张均已记入办理记录。"
        )
    for title, reason in outcome.refused:
        messages.error(request, f"“{title}”未通过：{reason}")
    return redirect("inbox")


@login_required
def done_list(request):
    search = selectors.search_text(request.GET.get("q"))
    page = keyset_page(
        selectors.done_events(request.user, search=search), ("-created", "-id"),
        cursor=request.GET.get("cursor"), size=page_size(request.GET.get("size")), params={"q": search},
    )
    visible = set(
        permissions.visible_documents(request.user, TargetSheet.objects.all())
        .filter(pk__in={e.sheet_id for e in page}).values_list("pk", flat=True)
    )
    return render(request, "workflow/done.html", {"events": page.rows, "page": page, "visible": visible, "nav": "done", "search": search})


@login_required
def sheet_list(request):
    """The sheets the user may read, a keyset page at a time (no total: "下一页" while there is more).

    The checker's counts are those stored with each sheet's content (``projects.selectors.verdicts_load``); the
    有错误/无错误 filter narrows the shown page (the page says so).
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
    verdicts_load(sheets)
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
        "rollover_sections": selectors.rollover_sections(request.user),
        "nav": "sheets",
    }
    return render(request, "workflow/sheet_list.html", context)


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
    agency_ids = _agency_ids_upto(user)
    if agency_ids is None or len(agency_ids) > CHOICES_AGENCIES_MAX:  # the filtered agency's sections, if one of theirs
        named = [a.pk for a in _agency_of_theirs(user, agency_code)]
        return Section.objects.filter(Q(pk__in=section_ids) | Q(agency_id__in=named)).order_by("agency_id", "name")
    return Section.objects.filter(Q(pk__in=section_ids) | Q(agency_id__in=agency_ids)).order_by("agency_id", "name")


def _agency_ids_upto(user) -> set[int] | None:
    """The agencies where ``user`` is 局领导 or 财政审核人, or None when there are too many to read (a province's)."""
    leader, finance = (roles.scope_ids_upto(user, role) for role in (roles.Role.LEADER, roles.Role.FINANCE_REVIEWER))
    return None if leader is None or finance is None else leader | finance


def _agency_of_theirs(user, agency_code) -> list:
    """The agency of the 单位编码 filter when ``user`` is its 局领导 or 财政审核人 (one grant looked up), else none."""
    agency = Agency.objects.filter(code=agency_code).first() if agency_code else None
    if agency is None or not any(roles.has_role(user, role, agency) for role in (roles.Role.LEADER, roles.Role.FINANCE_REVIEWER)):
        return []
    return [agency]


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
        ids = _agency_ids_upto(user)
        if ids is None or len(ids) > CHOICES_AGENCIES_MAX:  # the filtered agency, if it is one of theirs (no 20,000-id IN list)
            return _agency_of_theirs(user, agency_code), True
        agencies, many = Agency.objects.filter(pk__in=ids), False
    if many:
        return (agencies.filter(code=agency_code) if agency_code else Agency.objects.none()), True
    return agencies, False


@login_required
def sheet_detail(request, pk):
    sheet = _sheet_for(request.user, pk)
    findings = check_sheet(sheet)
    history = list(selectors.document_history(sheet))
    can_review = permissions.can_review(request.user, sheet)
    last_return = next((e for e in reversed(history) if e.action == "return"), None)
    stepbar = _stepbar(sheet, history)
    context = {
        "sheet": sheet,
        "findings": findings,
        "sheet_findings": [f for f in findings if f.row is None],
        "row_findings": _findings_by_row(findings),
        "errors": [f for f in findings if f.is_error],
        "warnings": [f for f in findings if not f.is_error],
        "history": history,
        "diffs": submission_diffs(history),
        "stepbar": stepbar,
        "current_step": next((step for step in stepbar if step["status"] == "current"), None),
        "approve_phrases": selectors.saved_phrases(request.user, defaults=SavedPhrase.APPROVE_DEFAULTS) if can_review else [],
        "return_phrases": selectors.saved_phrases(request.user, defaults=SavedPhrase.RETURN_DEFAULTS) if can_review else [],
        "can_edit": permissions.can_edit(request.user, sheet),
        "can_review": can_review,
        "waiting_notes": [] if can_review else selectors.waiting_notes(sheet, request.user),
        "approve_publishes": can_review and chain_of(sheet).publishes(sheet.state),
        "can_withdraw": services.withdraw_refusal(sheet, request.user) is None,
        "can_urge": services.may(sheet, request.user, "urge"),
        "can_revoke": services.may(sheet, request.user, "revoke"),
        "return_resume": services.return_resume_default(sheet) if can_review else None,
        "return_comment": last_return if sheet.state == SheetState.RETURNED else None,
        "last_return": last_return,
        "revision_note": _revision_note(history) if can_review else None,
        "return_form": forms.ReturnForm(),
        "comment_form": forms.CommentForm(),
        "reassign_form": forms.ReassignForm(candidates=services.reassign_candidates(sheet, request.user)) if can_review else None,
        "nav": "sheets",
    }
    return render(request, "workflow/sheet_detail.html", context)


def _revision_note(history):
    """The 修改说明 of the latest submission when it resubmitted a returned sheet (shown to its reviewer)."""
    last_submit = next((e for e in reversed(history) if e.action == "submit"), None)
    return last_submit if last_submit is not None and last_submit.from_state == SheetState.RETURNED and last_submit.comment else None


def _stepbar(sheet, history) -> list[dict]:
    """草稿 → each review step → 已公开: done, current (with who holds it and since when) or to come."""
    chain = chain_of(sheet)
    current = chain.draft if sheet.state in chain.drafting else sheet.state
    position = chain.order.index(current)
    bar = []
    for index, state in enumerate(chain.order):
        step = {"label": chain.label(state), "status": "done" if index < position else "current" if index == position else "todo"}
        if index == position:
            step["since"] = sheet.state_since
            if chain.step_for(state):
                selectors.holdings_attach([sheet])  # who holds it, by name (two reads)
                step["holder"] = sheet.holding.text
            else:
                step["holder"] = "经办人" if sheet.is_editable else "已完成"
        bar.append(step)
    if sheet.state == chain.returned:
        bar[0]["label"] = chain.label(chain.returned)
        # a 退回修改 straight back to its step: the steps before it keep their approvals, shown as such
        for kept in chain.steps[: max(len(flow.round_ids(sheet.round_actors)) - 1, 0)]:
            step = bar[chain.order.index(kept.state)]
            step["status"], step["kept"] = "done", True
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
    posted = request.POST if request.method == "POST" else None
    restoring = posted is not None and "restore_draft" in posted  # a draft kept in the browser, shown again, not saved
    editor = _editor_forms(sheet, posted)
    returned = sheet.state == SheetState.RETURNED
    submitting = posted is not None and "submit" in posted and not restoring
    note_form = None
    if returned:  # the 修改说明 is checked only when submitting; otherwise what was typed is shown again
        note_form = forms.RevisionNoteForm(posted if submitting else None, prefix="note",
                                           initial={"comment": posted.get("note-comment", "")} if posted is not None else None)
    version = _int_or_none(request.POST.get("version")) if request.method == "POST" else sheet.version
    stale_error = None
    draft = None
    forms_valid = request.method == "POST" and all([f.is_valid() for f in editor.values()])
    note_valid = note_form is None or not submitting or note_form.is_valid()
    if restoring:
        draft = {"version": version, "moved": version != sheet.version}
        if draft["moved"]:  # the user's changes now go against the current version, every difference listed
            draft["changed_by"] = display_name(sheet.updated_by) if sheet.updated_by_id else "他人"
            draft["changes"] = _draft_changes(sheet, editor)
            version = sheet.version
    elif forms_valid and note_valid:
        try:
            services.sheet_edit(sheet=sheet, user=request.user, expected_version=version, **_edited_content(editor))
        except AppError as error:
            if error.status != 412:
                messages.error(request, error.message)
                return redirect("sheet_detail", pk=sheet.pk)
            stale_error = error.message  # keep the user's input on the page, next to what changed
        else:
            messages.success(request, "已保存。")
            if submitting:
                comment = note_form.cleaned_data["comment"] if note_form is not None else ""
                return _run(request, sheet, services.document_submit, f"已提交{chain_of(sheet).first.label}。", expected_version=sheet.version, comment=comment)
            return redirect("sheet_detail", pk=sheet.pk)
    findings = check_sheet(forms.content_from_forms(editor["sheet_form"], editor["plan"], editor["rows"])) if forms_valid or request.method == "POST" else check_sheet(sheet)
    findings = _refusal_findings(sheet, editor, posted) + findings
    last_return = sheet.events.filter(action="return").select_related("actor").order_by("-created", "-id").first() if returned else None
    context = {
        "sheet": sheet, **editor, "findings": findings, "version": version, "stale_error": stale_error, "nav": "sheets",
        "groups": _editor_groups(editor["rows"], findings), "return_comment": last_return, "note_form": note_form,
        "sheet_findings": [f for f in findings if f.row is None],
        "input_errors": request.method == "POST" and not restoring and not (forms_valid and note_valid),
        "unsaved": request.method == "POST", "draft": draft,
    }
    return render(request, "workflow/sheet_edit.html", context)


def _refusal_findings(sheet, editor, data) -> list:
    """What the editor's 体检 lists before the checker's findings: a returned sheet's missing 修改说明 and the input the
    (validated) forms refuse, so the panel never says 未发现问题 beside fields marked red."""
    return forms.revision_note_findings(sheet, data) + forms.input_findings(editor["sheet_form"], editor["plan"], editor["rows"])


def _draft_changes(sheet, editor):
    """What saving a restored draft would change in the sheet as it is now (the draft's base version moved on)."""
    def plain(content, purpose, goal) -> dict:
        return {
            **{name: f"{getattr(content, name):.2f}" for name in ("budget_total", "fiscal_funds", "other_funds")},
            "purpose": purpose, "goal": goal,
            "plan": [{"label": p.label, "percent": None if p.percent is None else format_number(p.percent)} for p in content.plan],
            "indicators": [asdict(row) for row in content.rows],
        }

    saved = sheets_with_content().get(pk=sheet.pk)  # validating the bound form wrote the input onto ``sheet``
    typed = getattr(editor["sheet_form"], "cleaned_data", {})
    return diff_snapshots(
        plain(saved.content(), saved.purpose, saved.goal),
        plain(forms.content_from_forms(editor["sheet_form"], editor["plan"], editor["rows"]),
              typed.get("purpose", editor["sheet_form"]["purpose"].value() or ""), typed.get("goal", editor["sheet_form"]["goal"].value() or "")),
    )


def _editor_groups(formset, findings) -> list[dict]:
    """The indicator rows in the official form's 一级/二级 groups (every framework group, even empty, so a row can be
    added inside it), each row with its findings; groups outside the framework follow in the order they appear."""
    from library.common import framework

    groups, by_key = [], {}
    for group in framework():
        for subcategory in group["subcategories"]:
            item = {"category": group["category"], "subcategory": subcategory, "rows": [], "findings": []}
            groups.append(item)
            by_key[(group["category"], subcategory)] = item
    live = [f for f in formset.forms if not (f.is_bound and f["DELETE"].value())]
    deleted = [f for f in formset.forms if f not in live]
    row_findings = _findings_by_row(findings)
    position = {id(f): n for n, f in enumerate(_in_saved_order(live))}
    for form in _in_saved_order(live):
        key = ((form["category"].value() or "").strip(), (form["subcategory"].value() or "").strip())
        if key not in by_key:
            by_key[key] = {"category": key[0], "subcategory": key[1], "rows": [], "findings": []}
            groups.append(by_key[key])
        form.row_findings = row_findings.get(position[id(form)], [])
        form.invalid_fields = {f.field for f in form.row_findings}
        by_key[key]["rows"].append(form)
    for finding in findings:
        if finding.row is None and finding.group:
            for item in groups:
                if finding.group in (item["category"], f"{item['category']}/{item['subcategory']}"):
                    item["findings"].append(finding)
                    break
    if deleted and groups:
        groups[-1].setdefault("deleted", []).extend(deleted)
    return groups


def _in_saved_order(forms_list):
    def order(form):
        value = form["ORDER"].value()
        try:
            return (0, int(value))
        except (TypeError, ValueError):
            return (1, 0)

    return sorted(forms_list, key=order)


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
    findings = _refusal_findings(sheet, editor, request.POST) + findings
    return JsonResponse({"findings": [f.as_dict() | {"severity_label": f.severity_label} for f in findings]})


def _run(request, sheet, move, success: str, *, expected_version=None, decision: bool = False, **kwargs):
    """Make the move on the version the page showed (its hidden ``version`` field) unless told which.

    After a reviewer's decision (``decision``: approve, return, reassign) go straight to the next sheet of
    their 待办, or back to an empty 待办 with a message.
    """
    if expected_version is None:
        expected_version = _int_or_none(request.POST.get("version"))
    try:
        move(document=sheet, user=request.user, expected_version=expected_version, **kwargs)
    except AppError as error:
        messages.error(request, error.message)
    else:
        if decision:
            following = selectors.next_task(request.user, after=sheet)
            if following is not None:
                messages.success(request, f"{success}下一张待办如下。")
                return redirect(following)
            messages.success(request, f"{success}待办已全部处理完毕。")
            return redirect("inbox")
        messages.success(request, success)
        sheet.refresh_from_db()
        if not permissions.can_view(request.user, sheet):
            return redirect("inbox")  # e.g. finance returned it: a returned sheet is no longer theirs to see
    return redirect("sheet_detail", pk=sheet.pk)


@login_required
@require_POST
def sheet_submit(request, pk):
    sheet = _sheet_for(request.user, pk)
    return _run(request, sheet, services.document_submit, f"已提交{chain_of(sheet).first.label}。", comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_withdraw(request, pk):
    sheet = _sheet_for(request.user, pk)
    return _run(request, sheet, services.document_withdraw, "已撤回，可以继续修改。", comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_approve(request, pk):
    sheet = _sheet_for(request.user, pk)
    publishes = chain_of(sheet).publishes(sheet.state)
    success = "已通过，绩效目标表已公开。" if publishes else "已通过，转下一步审核。"
    return _run(request, sheet, services.document_approve, success, decision=True, comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_return(request, pk):
    sheet = _sheet_for(request.user, pk)
    form = forms.ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "退回修改必须填写意见。")
        return redirect("sheet_detail", pk=sheet.pk)
    resume = form.cleaned_data["resume"] or None
    return _run(request, sheet, services.document_return, "已退回修改。", decision=True, comment=form.cleaned_data["comment"], resume=resume)


@login_required
@require_POST
def sheet_urge(request, pk):
    sheet = _sheet_for(request.user, pk)
    step = chain_of(sheet).label(sheet.state)
    return _run(request, sheet, _urge, f"已催办“{step}”，办理人会收到提醒。", comment=request.POST.get("comment", ""))


def _urge(*, document, user, expected_version=None, comment=""):
    """催办 changes nothing of the sheet: it is made whatever version the page showed."""
    return services.document_urge(document=document, user=user, comment=comment)


@login_required
@require_POST
def sheet_revoke(request, pk):
    sheet = _sheet_for(request.user, pk)
    return _run(request, sheet, services.document_revoke, "已撤回通过。", comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_reassign(request, pk):
    sheet = _sheet_for(request.user, pk)
    form = forms.ReassignForm(request.POST, candidates=services.reassign_candidates(sheet, request.user))
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("sheet_detail", pk=sheet.pk)
    return _run(
        request, sheet, services.task_reassign, f"已转办给{display_name(form.cleaned_data['user'])}。", decision=True,
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
    published_only = request.GET.get("published") == "1"
    states = permissions.package_states(request.user, agency, published_only=published_only)
    if selectors_count_upto(package_sheets(agency=agency, year=year, states=states), export_services.background_from()) >= export_services.background_from():
        filters = {"agency": agency.code, "year": year, "published_only": published_only}
        return export_views.start_page(request, kind="docx", filters=filters, back=reverse("sheet_list"))
    return downloads.docx_response(
        lambda target: exporting.export_package(agency=agency, year=year, target=target, states=states),
        exporting.package_file_name(agency, year, states=states),
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


# ---------------------------------------------------------------- 常用意见


@login_required
def phrases(request):
    """GET: the signed-in user's 常用意见 (own first, then the defaults). POST ``text``: save one of their own."""
    if request.method == "POST":
        try:
            services.phrase_save(user=request.user, text=request.POST.get("text", ""))
        except AppError as error:
            return JsonResponse({"detail": error.message, "code": error.code}, status=error.status)
        return JsonResponse({"phrases": selectors.saved_phrases(request.user)}, status=201)
    if request.method != "GET":
        return JsonResponse({"detail": "不支持该请求方法。"}, status=405)
    return JsonResponse({"phrases": selectors.saved_phrases(request.user)})


@login_required
@require_POST
def phrase_delete(request, pk):
    try:
        services.phrase_delete(user=request.user, phrase_id=pk)
    except AppError as error:
        return JsonResponse({"detail": error.message, "code": error.code}, status=error.status)
    return JsonResponse({"phrases": selectors.saved_phrases(request.user)})


# ---------------------------------------------------------------- 由上年结转


@login_required
@require_POST
def sheets_rollover(request):
    """由上年结转 for one of the user's sections: last year's published sheets become this year's drafts."""
    section = selectors.rollover_sections(request.user).filter(pk=_int_or_none(request.POST.get("section")) or 0).first()
    from_year = _int_or_none(request.POST.get("from_year"))
    if section is None or from_year is None:
        messages.error(request, "请选择本科室和来源年度。")
        return redirect("sheet_list")
    try:
        result = rollover.sheets_rollover(agency=section.agency, section=section, from_year=from_year, to_year=from_year + 1, user=request.user)
    except AppError as error:
        messages.error(request, error.message)
        return redirect("sheet_list")
    (messages.success if result.created else messages.warning)(request, result.summary())
    return redirect(f"{reverse('sheet_list')}?year={from_year + 1}&section={section.pk}")
