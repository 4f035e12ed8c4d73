"""Writes and checks behind the WeCom doors: sign-in codes, callbacks, approval cards, administrators' WeCom ids.

A tap on a card's 通过 runs ``workflow.services.sheet_approve`` — the browser's service, with its
permission checks — as the person the card was sent to, on the version of the sheet the card
showed. Whatever happened to the sheet since (approved by someone else, withdrawn, returned,
reassigned) makes that a 409 and the card answers 已由他人处理.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import errors
from core.errors import AppError
from notifications import cards
from notifications.channels.text import cut_to_bytes
from notifications.channels.wecom import WeComError
from notifications.delivery import wecom_client
from notifications.models import Preference, WeComCard
from people import roles
from people import selectors as people_selectors
from people.roles import display_name
from workflow import approval, permissions
from workflow import services as workflow_services
from workflow.models import Action, SheetEvent
from wecom.crypto import CallbackRefused
from wecom.models import AccountChange, SeenCallback, UsedOAuthCode

logger = logging.getLogger(__name__)

# WeCom's member ids: letters, digits and _ - @ . (1–64 bytes); compared case-insensitively.
USERID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")

HANDLED_ELSEWHERE = "已由他人处理"
NOT_YOURS = "无权办理"


# ---------------------------------------------------------------- who is who


def person_for_wecom_userid(userid: str):
    """The one active person whose WeCom id is ``userid``; None when nobody, or more than one, has it."""
    userid = (userid or "").strip()
    if not userid:
        return None
    rows = list(Preference.objects.filter(wecom_userid__iexact=userid).select_related("user")[:2])
    if len(rows) != 1 or not rows[0].user.is_active:
        return None
    return rows[0].user


@transaction.atomic
def wecom_account_set(*, by, agency, user, userid: str) -> Preference:
    """An administrator of ``agency`` sets (or clears, with "") the WeCom id ``user`` signs in with."""
    if by is None or not roles.can_manage_people(by, agency):
        raise errors.not_found("没有找到该单位。")
    row = people_selectors.person_row(agency, user)
    if not by.is_superuser:
        if user.is_superuser:
            raise errors.forbidden("不能修改系统管理员的企业微信账号。")
        if row is None:
            raise errors.not_found("没有找到该人员。")
        if not people_selectors.may_manage_person(by, agency, row):
            raise errors.forbidden("该人员只在本单位担任财政审核人，其企业微信账号由系统管理员设置。")
    userid = (userid or "").strip()
    if userid and not USERID.match(userid):
        raise errors.invalid("企业微信账号只能由字母、数字和 _ - @ . 组成，最长 64 个字符。")
    if userid:
        other = Preference.objects.filter(wecom_userid__iexact=userid).exclude(user=user).select_related("user").first()
        if other is not None:
            raise errors.invalid(f"企业微信账号“{userid}”已关联{display_name(other.user)}，同一账号不能关联两个人。")
    preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
    old = preference.wecom_userid
    if old == userid:
        return preference
    preference.wecom_userid = userid
    try:
        with transaction.atomic():
            preference.save(update_fields=["wecom_userid"])
    except IntegrityError as exc:
        raise errors.invalid(f"企业微信账号“{userid}”已关联其他人员。") from exc
    AccountChange.objects.create(person=user, agency=agency, old=old, new=userid, by=by)
    return preference


# ---------------------------------------------------------------- sign-in codes and callbacks


# WeCom refuses a code older than 5 minutes itself: our record of a used one is needed only a while longer
USED_CODES_KEPT = timedelta(days=1)


def oauth_code_consume(code: str) -> bool:
    """Remember that ``code`` was exchanged; False when it already was (a replayed sign-in link). Records older
    than ``USED_CODES_KEPT`` are dropped on the way, so the table holds about one day of sign-ins."""
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
    UsedOAuthCode.objects.filter(used_at__lt=timezone.now() - USED_CODES_KEPT).delete()
    try:
        with transaction.atomic():
            UsedOAuthCode.objects.create(digest=digest)
    except IntegrityError:
        return False
    return True


def callback_accept(*, signature: str, timestamp: str, nonce: str, now: float | None = None) -> None:
    """Refuse a callback outside the time window, or one seen before (same signature, or same timestamp and nonce)."""
    now = time.time() if now is None else now
    window = settings.WECOM_CALLBACK_WINDOW_SECONDS
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        raise CallbackRefused("timestamp 不是整数") from None
    if abs(now - sent) > window:
        raise CallbackRefused(f"timestamp 超出 {window} 秒的有效期")
    try:
        with transaction.atomic():
            SeenCallback.objects.create(signature=signature.lower()[:64], nonce_key=f"{sent}:{nonce}"[:200])
    except IntegrityError:
        raise CallbackRefused("重复的回调（重放）") from None
    # what is outside the window can no longer be replayed (the timestamp check refuses it): forget it
    SeenCallback.objects.filter(received__lt=timezone.now() - timedelta(seconds=2 * window)).delete()


# ---------------------------------------------------------------- card taps


@dataclass(frozen=True)
class CardAnswer:
    text: str  # what the card's button says afterwards
    approved: bool = False


def card_tap(*, task_id: str, event_key: str, userid: str) -> CardAnswer:
    """A tap on a card's button: approve the sheet as the card's recipient, on the card's version only."""
    with transaction.atomic():
        card = WeComCard.objects.select_for_update().select_related("sheet", "recipient").filter(task_id=task_id).first()
        if card is None:
            return CardAnswer("卡片已失效，请打开页面办理")
        user = person_for_wecom_userid(userid)
        if user is None or user.pk != card.recipient_id:
            logger.warning("企业微信卡片 %s 被非接收人 %s 点击，未办理", task_id, userid)
            return CardAnswer(NOT_YOURS)
        if card.handled_at is not None:
            return CardAnswer(card.outcome or HANDLED_ELSEWHERE)
        if event_key != cards.APPROVE_KEY or approval.step_for(card.state) is None or approval.next_state(card.state) == approval.DONE:
            return CardAnswer("请打开页面办理")
        answer = _approve(card, user)
        card.handled_at = timezone.now()
        card.outcome = answer.text
        card.save(update_fields=["handled_at", "outcome"])
    return answer


def _approve(card: WeComCard, user) -> CardAnswer:
    sheet = card.sheet
    if not permissions.can_view(user, sheet):
        return CardAnswer(NOT_YOURS)
    try:
        workflow_services.sheet_approve(sheet=sheet, user=user, expected_version=card.version)
    except AppError as error:
        if error.status == 409:
            return CardAnswer(HANDLED_ELSEWHERE)
        if error.code == workflow_services.DUTIES_CODE:  # the rule's name, as the page says it (提交与审核分离)
            return CardAnswer(cut_to_bytes(error.message.partition("：")[0], 48, marker="…"))
        if error.status in (403, 404):
            return CardAnswer(NOT_YOURS)
        return CardAnswer(cut_to_bytes(error.message, 48, marker="…"))
    return CardAnswer(f"已通过 · {display_name(user)}", approved=True)


SETTLED_TEXTS = {  # what a card's button says once its task was handled elsewhere ({name}: who did it)
    Action.APPROVE: "已通过 · {name}",
    Action.RETURN: "已退回 · {name}",
    Action.WITHDRAW: "已撤回 · {name}",
    Action.REASSIGN: "已转办 · {name}",
    Action.MOVE: "已移交科室 · {name}",
}


def settles_cards(event: SheetEvent) -> bool:
    """Does ``event`` end the review task that approval cards were sent for?"""
    if event.from_state not in approval.REVIEW_STATES:
        return False
    return event.from_state != event.to_state or event.action in (Action.REASSIGN, Action.MOVE)


def cards_settle(*, event_id: int) -> list[WeComCard]:
    """The task ``event`` ended was handled in the browser (or by another reviewer's card): every card still
    showing 通过 for it is marked handled and updated in WeCom to say who did what, with the one-use
    ``response_code`` its send returned. A later tap on it answers the same words and changes nothing.

    Cards sent after the event (the next step's) and a reassigned task's new holder's cards stay open."""
    event = SheetEvent.objects.select_related("actor").filter(pk=event_id).first()
    if event is None or not settles_cards(event):
        return []
    name = display_name(event.actor) if event.actor_id else "系统"
    text = SETTLED_TEXTS.get(event.action, HANDLED_ELSEWHERE).format(name=name)
    with transaction.atomic():
        open_cards = WeComCard.objects.select_for_update(skip_locked=True).filter(
            sheet_id=event.sheet_id, state=event.from_state, handled_at__isnull=True, created__lt=event.created,
        )
        if event.action == Action.REASSIGN and event.target_user_id:  # who it went to then, whatever happened since
            open_cards = open_cards.exclude(recipient_id=event.target_user_id)
        settled = list(open_cards)
        WeComCard.objects.filter(pk__in=[c.pk for c in settled]).update(handled_at=timezone.now(), outcome=text)
    for card in settled:
        card_update(userid=card.wecom_userid, response_code=card.response_code, text=text)
    return settled


def card_update(*, userid: str, response_code: str, text: str) -> bool:
    """Show ``text`` on the tapped card (its buttons greyed out), using the tap's one-use response code."""
    if not response_code:
        return False
    try:
        with wecom_client() as client:
            client.update_template_card(userids=[userid], response_code=response_code, replace_name=text)
    except WeComError as exc:
        logger.warning("更新企业微信卡片失败：%s", exc)
        return False
    return True
