"""The moves' page handlers of a sheet: 提交, 撤回, 通过, 退回修改, 转办, 催办, 撤回通过, 加签, 加签意见, 抄送 — each a POST running the engine's move service
on the version the page showed, then back to the sheet (or, after a reviewer's decision, on to the next task)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.errors import AppError
from people.roles import display_name
from sheets import forms
from sheets.views import int_or_none, sheet_for
from workflow import permissions, selectors, services
from workflow.documents import chain_of


def run_move(request, sheet, move, success: str, *, expected_version=None, decision: bool = False, **kwargs):
    """Make the move on the version the page showed (its hidden ``version`` field) unless told which.

    After a reviewer's decision (``decision``: approve, return, reassign) go straight to the next sheet of
    their 待办, or back to an empty 待办 with a message.
    """
    if expected_version is None:
        expected_version = int_or_none(request.POST.get("version"))
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
    sheet = sheet_for(request.user, pk)
    return run_move(request, sheet, services.document_submit, f"已提交{chain_of(sheet).first.label}。", comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_withdraw(request, pk):
    sheet = sheet_for(request.user, pk)
    return run_move(request, sheet, services.document_withdraw, "已撤回，可以继续修改。", comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_approve(request, pk):
    sheet = sheet_for(request.user, pk)
    publishes = chain_of(sheet).publishes(sheet.state)
    success = "已通过，绩效目标表已公开。" if publishes else "已通过，转下一步审核。"
    return run_move(request, sheet, services.document_approve, success, decision=True, comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_return(request, pk):
    sheet = sheet_for(request.user, pk)
    form = forms.ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "退回修改必须填写意见。")
        return redirect("sheet_detail", pk=sheet.pk)
    resume = form.cleaned_data["resume"] or None
    return run_move(
        request, sheet, services.document_return, "已退回修改。", decision=True, comment=form.cleaned_data["comment"], resume=resume,
    )


@login_required
@require_POST
def sheet_urge(request, pk):
    sheet = sheet_for(request.user, pk)
    step = chain_of(sheet).label(sheet.state)
    return run_move(request, sheet, _urge, f"已催办“{step}”，办理人会收到提醒。", comment=request.POST.get("comment", ""))


def _urge(*, document, user, expected_version=None, comment=""):
    """催办 changes nothing of the sheet: it is made whatever version the page showed."""
    return services.document_urge(document=document, user=user, comment=comment)


@login_required
@require_POST
def sheet_revoke(request, pk):
    sheet = sheet_for(request.user, pk)
    return run_move(request, sheet, services.document_revoke, "已撤回通过。", comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_reassign(request, pk):
    sheet = sheet_for(request.user, pk)
    form = forms.ReassignForm(request.POST, candidates=services.reassign_candidates(sheet, request.user))
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("sheet_detail", pk=sheet.pk)
    return run_move(
        request, sheet, services.task_reassign, f"已转办给{display_name(form.cleaned_data['user'])}。", decision=True,
        to_user=form.cleaned_data["user"], comment=form.cleaned_data["comment"],
    )


def _person(username: str):
    from django.contrib.auth import get_user_model

    username = (username or "").strip()
    return get_user_model().objects.filter(username=username).first() if username else None


@login_required
@require_POST
def sheet_consult(request, pk):
    """加签: the reviewer asks one person (by user name), before deciding or after approving."""
    sheet = sheet_for(request.user, pk)
    to_user = _person(request.POST.get("user"))
    when = request.POST.get("when") or "before"
    done = "已加签，收到意见后再由您决定。" if when == "before" else "已通过并加签，加签人同意后进入下一环节。"
    return run_move(request, sheet, services.document_consult, f"{done}（加签人：{display_name(to_user)}）" if to_user else done,
                    to_user=to_user, when=when, comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_opinion(request, pk):
    """The person asked (加签) answers: 同意 or 不同意, with their opinion."""
    sheet = sheet_for(request.user, pk)
    agree = request.POST.get("agree") == "1"
    return run_move(request, sheet, services.document_opinion, "已提出加签意见。", agree=agree, comment=request.POST.get("comment", ""))


@login_required
@require_POST
def sheet_cc(request, pk):
    """抄送: user names separated by commas, spaces or 、."""
    import re

    sheet = sheet_for(request.user, pk)
    names = [name for name in re.split(r"[\s,，、;；]+", request.POST.get("users", "")) if name]
    people = [_person(name) for name in names]
    missing = [name for name, person in zip(names, people) if person is None]
    if missing:
        messages.error(request, f"没有找到用户：{'、'.join(missing)}。")
        return redirect("sheet_detail", pk=sheet.pk)
    try:
        events = services.document_cc(document=sheet, user=request.user, to_users=people, comment=request.POST.get("comment", ""))
    except AppError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已抄送给{'、'.join(display_name(e.target_user) for e in events)}。")
    return redirect("sheet_detail", pk=sheet.pk)
