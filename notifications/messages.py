"""The Chinese text of every notification.

Each message names the sheet and its project code, says what happened and
what to do next, and links (absolutely, from ``settings.SITE_URL``) to the page
where that is done.
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
from projects.values import format_number
from people.roles import display_name
from spending import services as spending
from workflow.steps import CHAIN

STEP_LABELS = {step.state: step.label for step in CHAIN.steps}  # 科室审核, 局领导审批, 财政审核


@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    body: str
    url: str
    sheet: object | None = None


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def sheet_url(sheet) -> str:
    return absolute(reverse("sheet_detail", args=[sheet.pk]))


def spending_url(sheet) -> str:
    return absolute(reverse("sheet_spending", args=[sheet.pk]))


_PK = 987654321  # stands for the sheet id when a route is reversed once for many sheets


def url_of(route: str):
    """``pk -> absolute URL of route(pk)``, reversed once (as ``sheet_url`` / ``spending_url``, for many sheets)."""
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


def _about(sheet) -> str:
    return _about_text(SheetText.of(sheet))


def _about_text(sheet: SheetText) -> str:
    about = f"绩效目标表：{sheet.title}\n项目编码：{sheet.code}\n预算单位：{sheet.unit_line}"
    return about if sheet.section is None else f"{about}\n科室：{sheet.section}"


def _when(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _pct(value: Decimal) -> str:
    return f"{format_number(value)}%"


# ---------------------------------------------------------------- sheet events


def for_event(event) -> Message:
    """The message a Event sends to the people it concerns (see ``receivers``)."""
    sheet, actor, when = event.sheet, _name(event.actor), _when(event.created)
    name = f"“{sheet.display_title}”"
    comment = event.comment.strip()
    url = sheet_url(sheet)
    if event.action == Kind.SUBMIT:
        title = f"待科室审核：{sheet.display_title}"
        what = f"{actor}于 {when} 提交了绩效目标表{name}，等待科室审核。"
        todo = "请打开链接审核，通过或退回修改。"
        extra = f"提交说明：{comment}" if comment else ""
    elif event.action == Kind.APPROVE:
        step = STEP_LABELS.get(event.to_state, "下一步审核")
        title = f"待{step}：{sheet.display_title}"
        what = f"{actor}于 {when} 在“{STEP_LABELS.get(event.from_state, '上一环节')}”通过了绩效目标表{name}，等待{step}。"
        todo = "请打开链接审核，通过或退回修改。"
        extra = f"审核意见：{comment}" if comment else ""
    elif event.action == Kind.PUBLISH:
        title = f"已公开：{sheet.display_title}"
        what = f"绩效目标表{name}已于 {when} 通过财政审核并公开。"
        todo = "请在各资金支出时间节点填报累计实际支出（执行进度）。"
        extra = ""
        url = spending_url(sheet)
    elif event.action == Kind.RETURN:
        step = STEP_LABELS.get(event.from_state, "审核")
        title = f"退回修改：{sheet.display_title}"
        what = f"{actor}于 {when} 在“{step}”环节退回了绩效目标表{name}。"
        todo = "请按退回意见修改后重新提交。"
        extra = f"退回意见：{comment}"
    elif event.action == Kind.WITHDRAW:
        title = f"已撤回：{sheet.display_title}"
        what = f"{actor}于 {when} 撤回了绩效目标表{name}，科室审核已取消。"
        todo = "无需处理；经办人修改后会重新提交。"
        extra = f"撤回说明：{comment}" if comment else ""
    elif event.action == Kind.REASSIGN:
        step = STEP_LABELS.get(event.to_state, "审核")
        title = f"转办给您：{sheet.display_title}"
        what = f"{actor}于 {when} 将绩效目标表{name}的“{step}”转办给您。"
        todo = "请打开链接审核，通过或退回修改。"
        extra = f"转办原因：{comment}" if comment else ""
    else:
        title = f"{event.get_action_display()}：{sheet.display_title}"
        what = f"{actor}于 {when} 对绩效目标表{name}执行了“{event.get_action_display()}”。"
        todo = "请打开链接查看。"
        extra = comment
    return Message(event.action, title, _join(what, _about(sheet), extra, f"下一步：{todo}"), url, sheet)


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


# ---------------------------------------------------------------- nudges


class NudgeText:
    """The 催办 of any waiting sheet: ``(title, body, url)``, the URL reversed once for all of them."""

    def __init__(self):
        self.url = url_of("sheet_detail")

    def __call__(self, sheet: SheetText, *, state: str, workdays: int, since: datetime.datetime, level: int) -> tuple[str, str, str]:
        step = STEP_LABELS.get(state, "审核")
        what = f"绩效目标表“{sheet.title}”已在“{step}”等待 {workdays} 个工作日（自 {_when(since)} 起）。"
        if level >= 2:
            todo = "等待时间已超过催办期限的两倍，请尽快审核；局领导请督促办理。"
        else:
            todo = "请尽快打开链接审核，通过或退回修改。"
        title = f"{'再次催办' if level >= 2 else '催办'}：{sheet.title}"
        return title, _join(what, _about_text(sheet), f"下一步：{todo}"), self.url(sheet.pk)


# ---------------------------------------------------------------- spending checkpoints


class SpendReminderText:
    """The reminder of one checkpoint ``days_left`` days before it, for any sheet: ``(title, body, url)``.

    Made once per checkpoint and day (the URL reversed once, each plan % formatted once), then filled in
    per sheet from plain values, so a province's 100,000 reminders cost a string each.
    """

    TODO = "下一步：请在节点前后填报截至该节点的累计实际支出；进度落后于计划时请说明原因。"

    def __init__(self, checkpoint, *, days_left: int):
        self.label = checkpoint.label
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
