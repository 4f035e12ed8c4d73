"""The sheet pages: the list and its filters, the detail page and its step bar, 由上年结转.

Thin views over the selectors and services (``sheets`` and the engine's ``workflow``); every one checks the object.
The editor is in ``sheets.editor``, the moves' handlers in ``sheets.moves``, the Word import in ``sheets.import_views``,
the Word download in ``sheets.downloads``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import AppError
from core.pagination import keyset_page, page_size
from people import roles
from projects.models import Agency, Section, SheetState, TargetSheet
from projects.rules import check_sheet
from projects.selectors import documents_with_content, fiscal_years, verdicts_load
from sheets import forms, rollover
from sheets import selectors as sheet_selectors
from sheets.snapshots import submission_diffs
from workflow import flow, permissions, selectors, services
from workflow.documents import chain_of
from workflow.models import SavedPhrase


def sheet_for(user, pk) -> TargetSheet:
    """A sheet or an adjustment of one (目标调整: edited, checked and moved on these pages like any sheet)."""
    return permissions.visible_document_or_404(user, pk, documents_with_content())


def int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def sheet_list(request):
    """The sheets the user may read, a keyset page at a time (no total: "下一页" while there is more).

    The checker's counts are those stored with each sheet's content (``projects.selectors.verdicts_load``); the
    有错误/无错误 filter narrows the shown page (the page says so).
    """
    filters = {
        "year": int_or_none(request.GET.get("year")),
        "section": int_or_none(request.GET.get("section")),
        "state": request.GET.get("state") if request.GET.get("state") in SheetState.values else None,
        "agency": (request.GET.get("agency") or "").strip()[:20] or None,
        "search": (request.GET.get("q") or "").strip()[:100] or None,
    }
    has_errors = request.GET.get("errors") if request.GET.get("errors") in ("0", "1") else ""
    params = {**{k: v for k, v in filters.items() if k != "search"}, "q": filters["search"], "errors": has_errors}
    page = keyset_page(
        sheet_selectors.sheet_list(request.user, **filters), sheet_selectors.SHEET_LIST_ORDER,
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
        "years": fiscal_years(),
        "sections": _filter_sections(request.user, filters["agency"]),
        "states": SheetState.choices,
        "agencies": agencies,
        "agencies_many": agencies_many,
        "rollover_sections": sheet_selectors.rollover_choices(request.user),
        "nav": "sheets",
    }
    return render(request, "sheets/sheet_list.html", context)


# A province's finance reviewer holds thousands of agencies: the page lists their sections and package links
# only up to this many agencies, else those of the agency named in the 单位编码 filter.
CHOICES_AGENCIES_MAX = 20


def _filter_sections(user, agency_code=None) -> list[dict]:
    """The 科室 choices (``pk`` and ``name``): the sections of the user's roles (and of their agencies' roles), not
    every section the list may show; with more than ``CHOICES_AGENCIES_MAX`` agencies, those of the filtered agency
    only."""
    if user.is_superuser:
        sections = Section.objects.order_by("agency__code", "name").values("pk", "name")
        return list(sections.filter(agency__code=agency_code) if agency_code else sections[:200])
    section_ids = set().union(*(roles.scope_ids(user, role) for role in roles.SECTION_ROLES))
    agency_ids = _agency_ids_upto(user)
    if agency_ids is None or len(agency_ids) > CHOICES_AGENCIES_MAX:  # the filtered agency's sections, if one of theirs
        agency_ids = [a.pk for a in _agency_of_theirs(user, agency_code)]
    return sheet_selectors.sections_named(section_ids, agency_ids)


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
    sheet = sheet_for(request.user, pk)
    findings = check_sheet(sheet)
    history = list(selectors.document_history(sheet))
    can_review = permissions.can_review(request.user, sheet)
    last_return = next((e for e in reversed(history) if e.action == "return"), None)
    stepbar = _stepbar(sheet, history)
    context = {
        "sheet": sheet,
        "findings": findings,
        "sheet_findings": [f for f in findings if f.row is None],
        "row_findings": findings_by_row(findings),
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
        "can_cc": services.may(sheet, request.user, "cc"),  # 抄送
        "consultant": flow.consulted(sheet) if sheet.consultant_id else None,  # 加签: whose opinion the step waits for
        "return_resume": services.return_resume_default(sheet) if can_review else None,
        "return_comment": last_return if sheet.state == SheetState.RETURNED else None,
        "last_return": last_return,
        "revision_note": _revision_note(history) if can_review else None,
        "return_form": forms.ReturnForm(),
        "comment_form": forms.CommentForm(),
        "reassign_form": forms.ReassignForm(candidates=services.reassign_candidates(sheet, request.user)) if can_review else None,
        "nav": "sheets",
    }
    return render(request, "sheets/sheet_detail.html", context)


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


def findings_by_row(findings) -> dict:
    rows: dict = {}
    for finding in findings:
        if finding.row is not None:
            rows.setdefault(finding.row, []).append(finding)
    return rows


@login_required
@require_POST
def sheets_rollover(request):
    """由上年结转 for one of the user's sections: last year's published sheets become this year's drafts."""
    section = sheet_selectors.rollover_sections(request.user).filter(pk=int_or_none(request.POST.get("section")) or 0).first()
    from_year = int_or_none(request.POST.get("from_year"))
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
