"""The self-evaluation's pages: start one from a published sheet, the form (scored on save, the rule and numbers
beside each score), and the engine's moves (提交, 撤回, 通过, 退回修改)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from core.errors import AppError
from evaluations import agency as agency_reads
from evaluations import scoring, selectors as evaluation_selectors, services
from evaluations.models import DepartmentEvaluation, SelfEvaluation
from evaluations.serializers import represent
from people import roles
from projects.models import FiscalYear, TargetSheet
from projects.selectors import agency_or_404
from workflow import flow, permissions, selectors
from workflow import services as moves
from workflow.documents import chain_of

ROW_INPUTS = ("weight", "actual", "level", "score", "reason")
TEXT_INPUTS = ("spent", "spent_reason", "conclusion", "problems", "improvements")
MOVES = {
    "submit": (moves.document_submit, "已提交{first}。"),
    "withdraw": (moves.document_withdraw, "已撤回，可以继续修改。"),
    "approve": (moves.document_approve, "已通过。"),
    "return": (moves.document_return, "已退回修改。"),
    "consult": (moves.document_consult, "已加签。"),  # 加签 (its person and way from the form)
    "opinion": (moves.document_opinion, "已提出加签意见。"),
    "cc": (moves.document_cc, "已抄送。"),  # 抄送 (user names from the form)
}


def _move_arguments(request, move: str) -> dict:
    """What a move takes from its form besides the comment: 加签's person and way, 加签意见's 同意/不同意, 抄送's people."""
    import re

    from django.contrib.auth import get_user_model

    User = get_user_model()
    if move == "consult":
        username = (request.POST.get("user") or "").strip()
        return {"to_user": User.objects.filter(username=username).first() if username else None, "when": request.POST.get("when") or "before"}
    if move == "opinion":
        return {"agree": request.POST.get("agree") == "1"}
    if move == "cc":
        names = [name for name in re.split(r"[\s,，、;；]+", request.POST.get("users", "")) if name]
        people = list(User.objects.filter(username__in=names))
        missing = sorted(set(names) - {person.username for person in people})
        if missing:
            raise AppError(f"没有找到用户：{'、'.join(missing)}。", status=400, code="invalid")
        return {"to_users": people}
    return {}


def _evaluation_for(user, pk) -> SelfEvaluation:
    return evaluation_selectors.evaluation_or_404(user, pk)


LIST_MAX = 200


@login_required
def evaluation_list(request):
    """绩效自评: the sheets waiting for their self-evaluation (for their section's 经办人) and the self-evaluations the
    person may read, with their state, total and grade."""
    to_start = list(evaluation_selectors.sheets_to_evaluate(request.user)[:LIST_MAX])
    deadlines = evaluation_selectors.deadlines_of((sheet.agency_id, sheet.fiscal_year_id) for sheet in to_start)
    for sheet in to_start:
        sheet.evaluation_due = deadlines.get((sheet.agency_id, sheet.fiscal_year_id))
    return render(request, "evaluations/list.html", {
        "to_start": to_start,
        "evaluations": list(evaluation_selectors.evaluations_visible(request.user)[:LIST_MAX]),
        "overviews": evaluation_selectors.overviews(request.user),
        "nav": "evaluations",
    })


@login_required
@require_POST
def evaluation_start(request, pk):
    """开始自评: the sheet's self-evaluation, created pre-filled (or the one it has)."""
    sheet = permissions.visible_document_or_404(request.user, pk, TargetSheet.objects.select_related("fiscal_year"))
    existing = SelfEvaluation.objects.filter(sheet=sheet).first()
    if existing is not None:
        return redirect(existing)
    try:
        evaluation = services.evaluation_create(sheet=sheet, user=request.user)
    except AppError as error:
        messages.error(request, error.message)
        return redirect(sheet)
    messages.success(request, "已按绩效目标表生成自评表，请填写实际完成值。")
    return redirect(evaluation)


def _changes(post, evaluation) -> dict:
    changes = {name: post.get(name, "") for name in TEXT_INPUTS if name in post}
    rows = {}
    for row in evaluation.rows.all():
        values = {name: post.get(f"row-{row.pk}-{name}") for name in ROW_INPUTS if f"row-{row.pk}-{name}" in post}
        if values:
            rows[row.pk] = values
    changes["rows"] = rows
    return changes


def _stepbar(evaluation) -> list[dict]:
    chain = chain_of(evaluation)
    current = chain.draft if evaluation.state in chain.drafting else evaluation.state
    position = chain.order.index(current)
    bar = [{"label": chain.label(state), "status": "done" if i < position else "current" if i == position else "todo"}
           for i, state in enumerate(chain.order)]
    if evaluation.state == chain.returned:
        bar[0]["label"] = chain.label(chain.returned)
    return bar


def _posted_version(post, *, missing: int | None = None) -> int | None:
    """The document version a form posted (the one its page showed), or ``missing`` when it posted none or not a
    number: a move then checks the state the page showed instead (``workflow.services``), an edit is refused as
    stale (-1)."""
    try:
        return int(post.get("version", ""))
    except ValueError:
        return missing


@login_required
def evaluation_detail(request, pk):
    evaluation = _evaluation_for(request.user, pk)
    can_edit = permissions.can_edit(request.user, evaluation)
    typed = None
    if request.method == "POST":
        if not can_edit:
            messages.error(request, "这张自评表当前不能由您修改。")
            return redirect(evaluation)
        version = _posted_version(request.POST, missing=-1)  # an edit without its version is stale
        try:
            services.evaluation_edit(evaluation=evaluation, user=request.user, expected_version=version,
                                     **_changes(request.POST, evaluation))
        except AppError as error:
            messages.error(request, error.message)
            typed = request.POST  # shown again as typed, beside the refusal
        else:
            messages.success(request, "已保存，得分已按评分规则重新计算。")
            return redirect(evaluation)
    data = represent(evaluation)
    if typed is not None:
        for name in TEXT_INPUTS:
            if name in typed:
                data[name] = typed[name]
        for row in data["rows"]:
            for name in ROW_INPUTS:
                key = f"row-{row['id']}-{name}"
                if key in typed:
                    row[name] = typed[key]
    chain = chain_of(evaluation)
    history = list(selectors.document_history(evaluation))
    last_return = next((e for e in reversed(history) if e.action == "return"), None)
    return render(request, "evaluations/detail.html", {
        "evaluation": evaluation, "data": data, "sheet": evaluation.sheet, "can_edit": can_edit,
        "can_submit": can_edit, "can_withdraw": moves.withdraw_refusal(evaluation, request.user) is None,
        "can_review": permissions.can_review(request.user, evaluation),
        "can_cc": moves.may(evaluation, request.user, "cc"),  # 抄送
        "consultant": flow.consulted(evaluation) if evaluation.consultant_id else None,  # 加签
        "publishes": chain.publishes(evaluation.state),
        "public_date": evaluation_selectors.pending_publication(evaluation.agency_id, evaluation.sheet.fiscal_year_id), "stepbar": _stepbar(evaluation), "history": history,
        "return_comment": last_return if evaluation.state == chain.returned else None,
        "levels": [(code, label) for code, (label, *_rest) in scoring.LEVELS.items()],
        "author_label": roles.ROLE_LABELS[chain.author], "nav": "evaluations",
    })


@login_required
@require_POST
def evaluation_move(request, pk, move):
    if move not in MOVES:
        raise Http404("没有这项操作。")
    evaluation = _evaluation_for(request.user, pk)
    service, success = MOVES[move]
    version = _posted_version(request.POST)
    try:
        extra = _move_arguments(request, move)
        if move != "cc":  # (抄送 changes nothing of the document: made on whatever version)
            extra["expected_version"] = version
        service(document=evaluation, user=request.user, comment=request.POST.get("comment", ""), **extra)
    except AppError as error:
        messages.error(request, error.message)
        return redirect(evaluation)
    messages.success(request, success.format(first=chain_of(evaluation).first.label))
    evaluation.refresh_from_db()
    if not permissions.can_view(request.user, evaluation):
        return redirect("inbox")
    return redirect(evaluation)


# ---------------------------------------------------------------- the agency's view and the publication date


def _agency_year(request, code, year):
    """The agency and year of the agency's view, for its leader and finance (and admins); 404 for anyone else."""
    agency = agency_or_404(code)
    if not roles.oversees(request.user, agency):
        raise Http404("没有找到该单位。")
    return agency, get_object_or_404(FiscalYear, year=year)


def _posted_date(request, name: str, label: str, example: str):
    """The date posted as ``name`` (None when the form's 取消 button ``clear`` was pressed); a missing one is refused
    in Chinese, a malformed one raises ValueError (the caller says how to write it)."""
    if request.POST.get("clear"):
        return None
    text = (request.POST.get(name) or "").strip()
    date = parse_date(text) if text else None
    if date is None:
        raise AppError(f"请填写{label}（如 {example}）。", status=400, code="invalid")
    return date


@login_required
def agency_evaluations(request, code, year):
    """单位自评总览: every published sheet of the agency's year with its self-evaluation's score, grade and flags, a
    keyset page at a time; the figures over the whole year (one index-only aggregate); the publication date (set here
    by finance), the deadline and the department-wide self-evaluation (read with the year, one query)."""
    this_year = agency_reads.year_of(code, year)  # the agency, the year, its figures: one query
    if this_year is None or not roles.oversees(request.user, this_year.agency):
        raise Http404("没有找到该单位。")
    agency, fiscal_year = this_year.agency, this_year.fiscal_year
    can_set = services.may_set_publication(request.user, agency)
    if request.method == "POST":
        if not can_set:
            raise Http404("没有找到该单位。")
        if fiscal_year is None:
            raise Http404("没有找到该年度。")
        try:
            date = _posted_date(request, "public_from", "公开日期", "2025-06-30")
            services.publication_set(agency=agency, year=year, public_from=date, user=request.user)
        except (AppError, ValueError) as error:
            messages.error(request, getattr(error, "message", "公开日期的格式应为 2025-06-30。"))
        else:
            messages.success(request, f"已设置公开日期 {date:%Y-%m-%d}：此前财政审核通过的自评表为“待公开”，到期自动公开。"
                             if date else "已取消公开日期：财政审核通过的自评表立即公开。")
            return redirect(request.path)
    if fiscal_year is None:
        raise Http404("没有找到该年度。")
    pending = this_year.pending
    page = agency_reads.page_of(agency, fiscal_year, cursor=request.GET.get("cursor"), size=request.GET.get("size"))
    return render(request, "evaluations/agency.html", {
        "agency": agency, "year": fiscal_year.year, "page": page, "pending": pending,
        "rows": [agency_reads.summary_row(row, agency=agency, fiscal_year=fiscal_year, pending=pending) for row in page.rows],
        "figures": this_year.figures, "can_set": can_set,
        "publication": this_year.publication, "deadline": this_year.deadline, "department": this_year.department,
        "may_start_department": roles.has_role(request.user, roles.Role.LEADER, agency),
        "nav": "evaluations",
    })


@login_required
@require_POST
def agency_deadline(request, code, year):
    """自评截止日期: finance sets (or removes) the day the agency's self-evaluations of the year are due; the daily
    reminders read it. 404 for anyone but the agency's finance reviewers (and admins)."""
    agency, fiscal_year = _agency_year(request, code, year)
    if not services.may_set_publication(request.user, agency):
        raise Http404("没有找到该单位。")
    back = reverse("agency_evaluations", args=[agency.code, fiscal_year.year])
    try:
        due = _posted_date(request, "due", "自评截止日期", "2025-03-31")
        services.deadline_set(agency=agency, year=fiscal_year.year, due=due, user=request.user)
    except (AppError, ValueError) as error:
        messages.error(request, getattr(error, "message", "自评截止日期的格式应为 2025-03-31。"))
    else:
        messages.success(request, f"已设置自评截止日期 {due:%Y-%m-%d}：截止前 7 天和 1 天提醒尚未提交自评的科室经办人，逾期后预警。"
                         if due else "已取消自评截止日期。")
    return redirect(back)


# ---------------------------------------------------------------- 部门整体自评

DEPARTMENT_ROW_INPUTS = ("target", *ROW_INPUTS)


def _department_for(user, pk) -> DepartmentEvaluation:
    return evaluation_selectors.department_or_404(user, pk)


@login_required
@require_POST
def department_evaluation_start(request, code, year):
    """开展部门整体自评: the agency's department-wide self-evaluation of the year, created pre-filled (or the one it
    has). The agency's 局领导 only (404 for anyone who may not see the agency's view)."""
    agency, fiscal_year = _agency_year(request, code, year)
    existing = DepartmentEvaluation.objects.filter(agency=agency, fiscal_year=fiscal_year).first()
    if existing is not None:
        return redirect(existing)
    try:
        evaluation = services.department_evaluation_create(agency=agency, year=fiscal_year.year, user=request.user)
    except AppError as error:
        messages.error(request, error.message)
        return redirect("agency_evaluations", agency.code, fiscal_year.year)
    messages.success(request, "已按部门整体绩效目标生成部门整体自评表，请填写各项目标的完成情况。")
    return redirect(evaluation)


def _department_rows(evaluation, typed=None) -> tuple[list[dict], object, list[str]]:
    """The rows as shown (with the rule and numbers of each score), the scorecard (None when what is saved no longer
    scores) and what a submission still needs."""
    from evaluations import scorecard

    try:
        card = scorecard.of(evaluation)
    except AppError as error:
        card, missing = None, [error.message]
    else:
        missing = card.missing
    rows = []
    for index, row in enumerate(evaluation.rows.all()):
        shown = {"id": row.pk, "category": row.category, "name": row.name, "target": row.target, "weight": row.weight,
                 "actual": row.actual, "level": row.level, "score": row.score, "reason": row.reason,
                 "rule": scorecard.rule_of(row.target), "how": card.rows[index].how if card is not None else ""}
        for name in DEPARTMENT_ROW_INPUTS:
            key = f"row-{row.pk}-{name}"
            if typed is not None and key in typed:
                shown[name] = typed[key]
        rows.append(shown)
    return rows, card, missing


@login_required
def department_evaluation_detail(request, pk):
    """部门整体自评表: the agency's goals as rows scored by the rules (a goal's 指标值 may be quantified), the budget
    line over its published sheets, the texts; the engine's moves (局领导 → 财政审核 → 已公开) and the history."""
    evaluation = _department_for(request.user, pk)
    can_edit = permissions.can_edit(request.user, evaluation)
    typed = None
    if request.method == "POST":
        if not can_edit:
            messages.error(request, "这份部门整体自评表当前不能由您修改。")
            return redirect(evaluation)
        version = _posted_version(request.POST, missing=-1)  # an edit without its version is stale
        changes = {name: request.POST.get(name, "") for name in TEXT_INPUTS if name in request.POST}
        changes["rows"] = {
            row.pk: {name: request.POST.get(f"row-{row.pk}-{name}") for name in DEPARTMENT_ROW_INPUTS
                     if f"row-{row.pk}-{name}" in request.POST}
            for row in evaluation.rows.all()
        }
        try:
            services.department_evaluation_edit(evaluation=evaluation, user=request.user, expected_version=version, **changes)
        except AppError as error:
            messages.error(request, error.message)
            typed = request.POST
        else:
            messages.success(request, "已保存，得分已按评分规则重新计算。")
            return redirect(evaluation)
    rows, card, missing = _department_rows(evaluation, typed)
    chain = chain_of(evaluation)
    history = list(selectors.document_history(evaluation))
    last_return = next((e for e in reversed(history) if e.action == "return"), None)
    texts = {name: (typed.get(name, getattr(evaluation, name)) if typed is not None else getattr(evaluation, name))
             for name in TEXT_INPUTS}
    return render(request, "evaluations/department.html", {
        "evaluation": evaluation, "rows": rows, "card": card, "missing": missing, "texts": texts,
        "can_edit": can_edit, "can_withdraw": moves.withdraw_refusal(evaluation, request.user) is None,
        "can_review": permissions.can_review(request.user, evaluation), "publishes": chain.publishes(evaluation.state),
        "state_label": chain.label(evaluation.state), "stepbar": _stepbar(evaluation), "history": history,
        "return_comment": last_return if evaluation.state == chain.returned else None,
        "levels": [(code, label) for code, (label, *_rest) in scoring.LEVELS.items()], "nav": "evaluations",
    })


@login_required
@require_POST
def department_evaluation_move(request, pk, move):
    if move not in MOVES:
        raise Http404("没有这项操作。")
    evaluation = _department_for(request.user, pk)
    service, success = MOVES[move]
    version = _posted_version(request.POST)
    try:
        service(document=evaluation, user=request.user, expected_version=version, comment=request.POST.get("comment", ""))
    except AppError as error:
        messages.error(request, error.message)
        return redirect(evaluation)
    messages.success(request, success.format(first=chain_of(evaluation).first.label))
    evaluation.refresh_from_db()
    if not permissions.can_view(request.user, evaluation):
        return redirect("inbox")
    return redirect(evaluation)
