"""The Chinese text of every notification.

Each message names the document (its label, title and facts: for a sheet, its project code, agency and section), says
what happened and what to do next, and links (absolutely, from ``settings.SITE_URL``) to the page where that is done.
The words of a move's message come from the document's chain (``workflow.steps``) and hooks (``workflow.documents``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from notifications.models import Kind
from people import roles
from people.roles import display_name
from projects.models import TargetSheet
from projects.values import format_number
from spending import services as spending
from workflow.documents import chain_of
from workflow.steps import Action


@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    body: str
    url: str
    document: object | None = None  # the document it is about (its foreign key on the notification)


def absolute(path: str) -> str:
    return settings.SITE_URL + path


_PK = 987654321  # stands for the sheet id when a route is reversed once for many sheets


def url_of(route: str):
    """``pk -> absolute URL of route(pk)``, reversed once for many sheets."""
    head, tail = absolute(reverse(route, args=[_PK])).split(str(_PK))
    return lambda pk: f"{head}{pk}{tail}"


class SheetText(NamedTuple):
    """What a message says about a sheet, as plain values (read as tuples for a whole province, or from a sheet)."""

    pk: int
    title: str  # the display title
    code: str  # the project code
    unit_line: str  # the agency's code and name
    section: str | None  # the section's name, None without one

    @classmethod
    def of(cls, sheet) -> "SheetText":
        return cls(
            sheet.pk, sheet.display_title, sheet.project.code, sheet.agency.unit_line,
            sheet.section.name if sheet.section_id else None,
        )


def agency_spending_url(agency, year: int) -> str:
    return absolute(reverse("agency_spending", args=[agency.code]) + f"?year={year}")


def _name(user) -> str:
    return display_name(user)


def _about_lines(label: str, title: str, facts) -> str:
    return "\n".join([f"{label}：{title}", *(f"{name}：{value}" for name, value in facts if value)])


def _about(document) -> str:
    return _about_lines(document.approval_label, document.display_title, document.approval_facts())


def _about_text(sheet: SheetText, label: str = TargetSheet.approval_label) -> str:
    facts = (("项目编码", sheet.code), ("预算单位", sheet.unit_line), ("科室", sheet.section))
    return _about_lines(label, sheet.title, facts)


def _when(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _pct(value: Decimal) -> str:
    return f"{format_number(value)}%"


# ---------------------------------------------------------------- moves


def for_event(event) -> Message:
    """The message an Event sends to the people it concerns (see ``receivers``): its words from the document's chain
    and hooks."""
    document, actor, when = event.document, event.actor_text, _when(event.created)  # 委托: 刘洋 代 张建国
    chain, label, title = chain_of(document), document.approval_label, document.display_title
    name = f"“{title}”"
    comment = event.comment.strip()
    url = absolute(document.get_absolute_url())
    review = "请打开链接审核，通过或退回修改。"
    if event.action == Action.SUBMIT:
        step = chain.label(event.to_state)
        heading = f"待{step}"
        what = f"{actor}于 {when} 提交了{label}{name}，等待{step}。{resumed_text(chain, event.to_state)}"
        todo, extra = review, (f"提交说明：{comment}" if comment else "")
    elif event.action == Action.APPROVE:
        step = chain.label(event.to_state)
        heading = f"待{step}"
        what = f"{actor}于 {when} 在“{chain.label(event.from_state)}”通过了{label}{name}，等待{step}。"
        todo, extra = review, (f"审核意见：{comment}" if comment else "")
    elif event.action == Action.PUBLISH:
        heading = chain.label(chain.done)
        what = f"{label}{name}已于 {when} 通过{chain.label(event.from_state)}并{Action.PUBLISH.label}。"
        pending = getattr(document, "approval_publication_pending", None)  # optional hook: public only from a date
        later = pending() if pending is not None else None
        if later:
            heading, what = "待公开", f"{label}{name}已于 {when} 通过{chain.label(event.from_state)}，{later}。"
        todo, path = document.approval_done_next()
        url, extra = absolute(path), ""
    elif event.action == Action.RETURN:
        heading = Action.RETURN.label
        what = f"{actor}于 {when} 在“{chain.label(event.from_state)}”环节退回了{label}{name}。"
        todo, extra = f"请按退回意见修改后重新提交；{resume_text(chain, event.resume_state)}", f"退回意见：{comment}"
    elif event.action == Action.WITHDRAW:
        heading = "已撤回"
        what = f"{actor}于 {when} 撤回了{label}{name}，{chain.first.label}已取消。"
        todo = f"无需处理；{roles.ROLE_LABELS[chain.author]}修改后会重新提交。"
        extra = f"撤回说明：{comment}" if comment else ""
    elif event.action == Action.REVOKE:
        heading = "已撤回公开" if event.from_state == chain.done else "已撤回通过"
        step = chain.label(event.to_state)
        if event.from_state == chain.done:
            what = f"{actor}于 {when} 撤回了{label}{name}的公开，{label}回到“{step}”，公开页面已不再显示。"
        else:
            what = f"{actor}于 {when} 撤回了在“{step}”的通过，{label}{name}回到“{step}”，“{chain.label(event.from_state)}”无需办理。"
        todo, extra = "无需处理。", (f"撤回原因：{comment}" if comment else "")
    elif event.action == Action.URGE:
        step = chain.label(event.to_state)
        heading = Action.URGE.label
        waited = f"（自 {_when(document.state_since)} 起等待）" if document.state_since else ""
        what = f"{actor}于 {when} 催办{label}{name}的“{step}”{waited}。"
        todo, extra = "请尽快打开链接审核，通过或退回修改。", (f"催办说明：{comment}" if comment else "")
    elif event.action == Action.CONSULT:
        heading = "加签：请提出意见"
        step = chain.label(event.to_state)
        what = f"{actor}于 {when} 就{label}{name}的“{step}”向您加签，请提出意见（同意或不同意）。"
        todo, extra = "请打开链接查看并提出加签意见。", (f"加签说明：{comment}" if comment else "")
    elif event.action == Action.OPINION:
        heading = Action.OPINION.label
        what = f"{actor}于 {when} 对{label}{name}提出了加签意见，{label}现处于“{chain.label(event.to_state)}”。"
        todo, extra = review, f"加签意见：{comment}"
    elif event.action == Action.CC:
        heading = "抄送"
        what = f"{actor}于 {when} 将{label}{name}抄送给您（当前环节：{chain.label(event.to_state)}）。"
        todo, extra = "无需办理，请知悉；可打开链接查看。", (f"说明：{comment}" if comment else "")
    elif event.action == Action.REASSIGN:
        heading = "转办给您"
        what = f"{actor}于 {when} 将{label}{name}的“{chain.label(event.to_state)}”转办给您。"
        todo, extra = review, (f"转办原因：{comment}" if comment else "")
    else:
        heading = event.get_action_display()
        what = f"{actor}于 {when} 对{label}{name}执行了“{event.get_action_display()}”。"
        todo, extra = "请打开链接查看。", comment
    return Message(event.action, f"{heading}：{title}", _join(what, _about(document), extra, f"下一步：{todo}"), url, document)


def _kept_steps(chain, state: str) -> str:
    step = chain.step_for(state)
    return "、".join(f"“{s.label}”" for s in chain.earlier_steps(step)) if step is not None else ""


def resume_text(chain, resume_state: str) -> str:
    """Where the resubmission of a returned document goes, as its 退回修改 chose (``Event.resume_state``)."""
    kept = _kept_steps(chain, resume_state) if resume_state else ""
    if kept:
        return f"重新提交后直接回到“{chain.label(resume_state)}”，{kept}的通过保留。"
    return f"重新提交后从“{chain.first.label}”起重新审核。"


def resumed_text(chain, state: str) -> str:
    """What a submission straight back to ``state`` keeps ("" for a submission to the first step)."""
    kept = _kept_steps(chain, state)
    return f"（退回后直接回到本环节，{kept}的通过保留）" if kept else ""


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


# ---------------------------------------------------------------- nudges


class NudgeText:
    """The 催办 of any waiting document of ``model``: ``(title, body, url)``, the URL reversed once for all of them
    (the document's page, ``approval_detail_route``)."""

    def __init__(self, model=TargetSheet):
        route = getattr(model, "approval_detail_route", None)  # a page reversed from the id, else the row names its path
        self.url = url_of(route) if route else None
        self.chain, self.label = chain_of(model), model.approval_label

    def __call__(
        self, sheet: SheetText, *, state: str, workdays: int, since: datetime.datetime, level: int, path: str | None = None,
    ) -> tuple[str, str, str]:
        step = self.chain.label(state)
        what = f"{self.label}“{sheet.title}”已在“{step}”等待 {workdays} 个工作日（自 {_when(since)} 起）。"
        if level >= 2:
            todo = "等待时间已超过催办期限的两倍，请尽快审核；局领导请督促办理。"
        else:
            todo = "请尽快打开链接审核，通过或退回修改。"
        title = f"{'再次催办' if level >= 2 else '催办'}：{sheet.title}"
        url = absolute(path) if path is not None else self.url(sheet.pk)
        return title, _join(what, _about_text(sheet, self.label), f"下一步：{todo}"), url


# ---------------------------------------------------------------- spending checkpoints


class SpendReminderText:
    """The reminder of one checkpoint ``days_left`` days before it, for any sheet: ``(title, body, url)``.

    Made once per checkpoint and day (the URL reversed once, each plan % formatted once), then filled in
    per sheet from plain values, so a province's 100,000 reminders cost a string each.
    """

    TODO = "下一步：请在节点前后填报截至该节点的累计实际支出；进度落后于计划时请说明原因。"

    def __init__(self, checkpoint, *, days_left: int, due=None):
        self.label = checkpoint.label
        if due is not None and due != checkpoint.date:  # reported after the point (河北: the June point in July)
            self.what = (
                f"资金支出时间节点“{self.label}”（{checkpoint.date:%Y-%m-%d}）的执行进度应于 {due:%Y-%m-%d} 前填报，"
                f"还有 {days_left} 天，计划累计支出进度 "
            )
        else:
            self.what = f"资金支出时间节点“{self.label}”（{checkpoint.date:%Y-%m-%d}）还有 {days_left} 天，计划累计支出进度 "
        self.url = url_of("sheet_spending")
        self._pct: dict[Decimal, str] = {}

    def __call__(self, sheet: SheetText, planned: Decimal) -> tuple[str, str, str]:
        pct = self._pct.get(planned)
        if pct is None:
            pct = self._pct[planned] = _pct(planned)
        title = f"填报提醒：{sheet.title}（{self.label}）"
        return title, f"{self.what}{pct}。\n{_about_text(sheet)}\n{self.TODO}", self.url(sheet.pk)


class SpendWarningText:
    """The warning of one checkpoint for any sheet: ``(title, body, url)``, the URL reversed once."""

    def __init__(self, checkpoint):
        self.label = checkpoint.label
        self.as_of = f"截至“{self.label}”（{checkpoint.date:%Y-%m-%d}）计划累计支出 "
        self.url = url_of("sheet_spending")

    def __call__(self, sheet: SheetText, *, planned: Decimal, actual: Decimal | None, behind: Decimal, level: str) -> tuple[str, str, str]:
        title = f"{spending.LEVEL_LABELS[level]}：{sheet.title}（{self.label}）"
        if actual is None:
            state = f"{self.as_of}{_pct(planned)}，尚未填报执行进度。"
            todo = "请尽快填报截至该节点的累计实际支出，并说明进度落后的原因。"
        else:
            state = f"{self.as_of}{_pct(planned)}，实际 {_pct(actual)}，落后 {format_number(behind)} 个百分点。"
            todo = "请加快资金支出进度，并在执行进度中说明原因和措施。"
        return title, _join(state, _about_text(sheet), f"下一步：{todo}"), self.url(sheet.pk)


# ---------------------------------------------------------------- self-evaluations' deadlines


class EvaluationDueText:
    """The reminder (``days_left`` days before finance's deadline for an agency's year of self-evaluations) or, with
    ``days_left`` None, the overdue warning, for any sheet: ``(title, body, url)``. The URL is the sheet's
    self-evaluation (its id given) or 绩效自评, where it is started; both reversed once."""

    def __init__(self, *, due: datetime.date, year: int, days_left: int | None, today: datetime.date):
        self.year, self.overdue = year, days_left is None
        if self.overdue:
            self.what = f"{year}年度绩效自评的截止日期（{due:%Y-%m-%d}）已过，本项目的自评表尚未提交审核。"
            self.todo = "下一步：请尽快完成自评并提交审核；科室负责人请督促办理。"
        else:
            self.what = f"{year}年度绩效自评将于 {due:%Y-%m-%d} 截止（还有 {(due - today).days} 天），本项目的自评表尚未提交审核。"
            self.todo = "下一步：请打开链接填写实际完成值、执行数和评价结论，评分完成后提交审核。"
        self.detail = url_of("evaluation_detail")
        self.start = absolute(reverse("evaluation_list"))

    def __call__(self, sheet: SheetText, evaluation_id: int | None) -> tuple[str, str, str]:
        title = f"{'自评逾期' if self.overdue else '自评提醒'}：{sheet.title}（{self.year}年度）"
        url = self.detail(evaluation_id) if evaluation_id is not None else self.start
        return title, f"{self.what}\n{_about_text(sheet)}\n{self.todo}", url


class OverdueAgency(NamedTuple):
    """One agency's year past its self-evaluation deadline, as finance's digest lists it."""

    code: str
    name: str
    year: int
    due: datetime.date
    count: int  # its published sheets of the year whose self-evaluation is not submitted

    @property
    def unit_line(self) -> str:
        return f"{self.code}{self.name}"  # as Agency.unit_line

    @property
    def url(self) -> str:
        return absolute(reverse("agency_evaluations", args=[self.code, self.year]))


def for_evaluation_digest(agencies: list[OverdueAgency], *, today: datetime.date) -> Message:
    """One message to a finance reviewer on the first working day after the self-evaluation deadline of the agencies
    they review: per agency, how many published sheets still have no submitted self-evaluation, and its view. The
    link is that view (one agency) or 绩效自评, which lists every agency they review."""
    total = sum(agency.count for agency in agencies)
    title = f"自评逾期汇总：{agencies[0].name}" if len(agencies) == 1 else f"自评逾期汇总：{len(agencies)} 个单位"
    lines = [
        f"截至 {today:%Y-%m-%d}，您审核的 {len(agencies)} 个单位已过绩效自评截止日期，"
        f"共有 {total} 张已公开的绩效目标表的自评表尚未提交审核："
    ]
    for number, agency in enumerate(agencies, start=1):
        lines.append(
            f"{number}. {agency.unit_line} {agency.year}年度（截止 {agency.due:%Y-%m-%d}）：{agency.count} 张未提交，"
            f"查看：{agency.url}"
        )
    lines.append("下一步：请打开链接查看单位自评情况，督促相关单位尽快完成自评并提交审核。")
    url = agencies[0].url if len(agencies) == 1 else absolute(reverse("evaluation_list"))
    return Message(Kind.EVAL_DIGEST, title, "\n".join(lines), url, None)


def for_spend_digest(agency, checkpoint, warnings: list) -> Message:
    """One message to the agency's finance reviewers listing every warned sheet at ``checkpoint``.

    ``agency``: an Agency (or anything with its ``code``, ``name`` and ``unit_line``);
    ``warnings``: (SheetText, planned, actual or None, level) tuples.
    """
    reds = sum(1 for *_, level in warnings if level == "red")
    yellows = len(warnings) - reds
    title = f"支出预警汇总：{agency.name}（{checkpoint.label}）"
    lines = [
        f"{agency.unit_line} 截至“{checkpoint.label}”（{checkpoint.date:%Y-%m-%d}）有 {len(warnings)} 张已公开的绩效目标表"
        f"资金支出进度落后于计划：红色预警 {reds} 张，黄色预警 {yellows} 张。"
    ]
    for number, (sheet, planned, actual, level) in enumerate(warnings, start=1):
        actual_text = "未填报" if actual is None else f"实际 {_pct(actual)}"
        lines.append(f"{number}. {sheet.title}（{sheet.code}）：计划 {_pct(planned)}，{actual_text}，{spending.LEVEL_LABELS[level]}")
    lines.append("下一步：请打开链接查看单位执行进度，督促相关科室加快支出。")
    url = agency_spending_url(agency, checkpoint.date.year)
    return Message(Kind.SPEND_DIGEST, title, "\n".join(lines), url, None)
