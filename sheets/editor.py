"""The sheet editor: the page (save, 保存并提交, a draft kept in the browser shown again), its 一级/二级 grouping of
the indicator rows, and the as-you-type 体检 (``sheet_check``)."""

from __future__ import annotations

from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import AppError
from people.roles import display_name
from projects.models import SheetState
from projects.rules import check_sheet
from projects.selectors import documents_with_content
from projects.values import format_number
from sheets import forms
from sheets import services as sheet_services
from sheets.moves import run_move
from sheets.snapshots import diff_snapshots
from sheets.views import findings_by_row, int_or_none, sheet_for
from workflow import permissions, services
from workflow.documents import chain_of


@login_required
def sheet_edit(request, pk):
    sheet = sheet_for(request.user, pk)
    if not permissions.can_edit(request.user, sheet):
        published = sheet.is_published and sheet.revises_id is None
        messages.error(request, "这张表已公开，不能直接修改：确需调整的，请在本页发起“目标调整”，按原审批流程报批。"
                       if published else "这张表当前不能由您修改。")
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
    version = int_or_none(request.POST.get("version")) if request.method == "POST" else sheet.version
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
            sheet_services.sheet_edit(sheet=sheet, user=request.user, expected_version=version, **_edited_content(editor))
        except AppError as error:
            if error.status != 412:
                messages.error(request, error.message)
                return redirect("sheet_detail", pk=sheet.pk)
            stale_error = error.message  # keep the user's input on the page, next to what changed
        else:
            messages.success(request, "已保存。")
            if submitting:
                comment = note_form.cleaned_data["comment"] if note_form is not None else ""
                return run_move(request, sheet, services.document_submit, f"已提交{chain_of(sheet).first.label}。", expected_version=sheet.version, comment=comment)
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
    return render(request, "sheets/sheet_edit.html", context)


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

    saved = documents_with_content().get(pk=sheet.pk)  # validating the bound form wrote the input onto ``sheet``
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
    row_findings = findings_by_row(findings)
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
    sheet = sheet_for(request.user, pk)
    if not permissions.can_edit(request.user, sheet):
        return JsonResponse({"detail": "无权修改这张表。"}, status=403)
    editor = _editor_forms(sheet, request.POST)
    for form in editor.values():
        form.is_valid()
    findings = check_sheet(forms.content_from_forms(editor["sheet_form"], editor["plan"], editor["rows"]))
    findings = _refusal_findings(sheet, editor, request.POST) + findings
    return JsonResponse({"findings": [f.as_dict() | {"severity_label": f.severity_label} for f in findings]})
