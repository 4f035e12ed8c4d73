"""The Chinese text of the notices about a person's WeCom id (``wecom.services``): one to the person at every step,
one to the agency's other administrators when a change waits for them, one to the requester when the person declines."""

from __future__ import annotations

from django.urls import reverse

from notifications.messages import Message, _join, _when, absolute
from notifications.models import Kind
from people.roles import display_name
from wecom.models import AccountChange

K = AccountChange.Kind
NOT_YOU = "如果这不是您本人所知的变更，请不要确认，并立即告知单位负责人或系统管理员。"


def _id(value: str) -> str:
    return f"“{value}”" if value else "（未设置）"


def binding_url() -> str:
    return absolute(reverse("wecom_binding"))


def for_person(change: AccountChange) -> Message:
    """What ``change`` means for the person whose WeCom id it is."""
    by, when = display_name(change.by) if change.by_id else "系统", _when(change.created)
    old, new = _id(change.old), _id(change.new)
    url = binding_url()
    request = change.request
    if change.kind == K.REQUEST and request is not None and request.status == request.Status.AWAITING_ADMIN:
        title = "您的企业微信账号变更申请待审核"
        what = f"{by}于 {when} 申请将您的企业微信账号由{old}改为{new or '空（清除）'}。"
        todo = "您有待办审核事项，此变更须由另一位管理员确认" + ("；之后还需要您本人在企业微信中确认才会生效。" if change.new else "后才会生效。")
        extra = NOT_YOU
    elif change.kind in (K.REQUEST, K.APPROVE):
        title = "请确认您的企业微信账号"
        what = (
            f"{by}于 {when} 确认了将您的企业微信账号改为{new}的申请。" if change.kind == K.APPROVE
            else f"{by}于 {when} 申请将您的企业微信账号由{old}改为{new}。"
        )
        todo = f"在您本人确认前不会生效：请在企业微信中打开链接，以{new}登录企业微信后点“确认”。"
        extra = NOT_YOU + "不确认则原账号保持不变。"
    elif change.kind == K.CONFIRM:
        title = "企业微信账号已生效"
        what = f"您于 {when} 确认了企业微信账号{new}（原为{old}）。"
        todo = f"今后可以用{new}从企业微信免密登录，企业微信消息也发往该账号。"
        extra = ""
    elif change.kind == K.SET:
        title = "您的企业微信账号已更改"
        what = f"{by}于 {when} 将您的企业微信账号由{old}改为{new}。"
        todo = f"今后从企业微信免密登录和接收企业微信消息都使用{new}。"
        extra = NOT_YOU.replace("请不要确认，并", "请")
    elif change.kind == K.CLEAR:
        title = "您的企业微信账号已清除"
        what = f"{by}于 {when} 清除了您的企业微信账号{old}。"
        todo = "您不能再从企业微信免密登录，也不再收到企业微信消息；站内通知和电子邮件不受影响。"
        extra = NOT_YOU.replace("请不要确认，并", "请")
    elif change.kind == K.DECLINE:
        title = "您已拒绝企业微信账号变更"
        what = f"您于 {when} 拒绝了将企业微信账号改为{new}的申请。"
        todo = f"您的企业微信账号仍为{old}。"
        extra = ""
    else:  # CANCEL
        title = "企业微信账号变更申请已撤回"
        what = f"{by}于 {when} 撤回了将您的企业微信账号改为{new or '空（清除）'}的申请。"
        todo = f"您的企业微信账号仍为{old}。"
        extra = ""
    return Message(Kind.ACCOUNT, title, _join(what, todo, extra), url)


def for_second_admin(change: AccountChange) -> Message:
    """To the agency's other administrators: a change waits for one of them."""
    person, by, when = display_name(change.person), display_name(change.by), _when(change.created)
    what = f"{by}于 {when} 申请将{person}的企业微信账号由{_id(change.old)}改为{_id(change.new) if change.new else '空（清除）'}。"
    todo = f"{person}有待办审核事项，此变更须由另一位管理员确认：请核实后在“企业微信账号”页面确认或驳回。"
    url = absolute(reverse("wecom_accounts", args=[change.agency.code])) if change.agency_id else ""
    return Message(Kind.ACCOUNT, f"企业微信账号变更待您确认：{person}", _join(what, todo), url)


def for_requester(change: AccountChange) -> Message:
    """To the administrator who asked: the person declined."""
    person, when = display_name(change.person), _when(change.created)
    what = f"{person}于 {when} 拒绝了将其企业微信账号改为{_id(change.new)}的申请，账号仍为{_id(change.old)}。"
    url = absolute(reverse("wecom_accounts", args=[change.agency.code])) if change.agency_id else ""
    return Message(Kind.ACCOUNT, f"企业微信账号变更被拒绝：{person}", what, url)
