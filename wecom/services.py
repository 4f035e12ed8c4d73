"""Writes and checks behind the WeCom doors: sign-in codes, callbacks, approval cards, people's WeCom ids.

A tap on a card's 通过 runs ``workflow.services.document_approve`` — the browser's service, with its
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
from workflow import flow, permissions
from workflow.documents import chain_of, chain_of_event
from workflow import services as workflow_services
from workflow.models import Action, Event
from wecom.crypto import CallbackRefused
from workflow import selectors as workflow_selectors
from wecom import messages as wecom_messages
from wecom.models import AccountChange, IdChangeRequest, SeenCallback, UsedOAuthCode, UsedWeComId

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


# ---------------------------------------------------------------- WeCom ids: the sign-in identity
#
# ``Preference.wecom_userid`` signs its person in from WeCom and lets them approve from a WeCom card, so whoever can
# move it could act as that person. These are its only writers (the account page, the Django admin shows it read-only):
#
# - an id that ever signed someone in, approved a card as them, was confirmed by them or was theirs (``UsedWeComId``)
#   is never bound to anyone else by an agency administrator;
# - an agency administrator's new id is an ``IdChangeRequest``: it takes effect only when the person, signed in here as
#   themself, confirms it from inside WeCom signed in with that very id (``wecom_binding_confirm``); until then nobody
#   signs in or approves with it, and the old id keeps working;
# - a change (set, clear or replace) for someone who holds open review tasks waits for a second administrator of the
#   agency (or a superuser), never the requester nor the person themself;
# - a superuser sets or clears directly (there is no WeCom directory sync);
# - every step is an ``AccountChange`` and a notice to the person (in-app, e-mail, WeCom as they chose).


@dataclass(frozen=True)
class AccountOutcome:
    """What ``wecom_account_set`` did: ``set`` / ``cleared`` (in effect), ``awaiting_person`` / ``awaiting_admin``
    (a request), ``unchanged``."""

    status: str
    userid: str
    request: IdChangeRequest | None = None


def _clean_userid(userid: str) -> str:
    userid = (userid or "").strip()
    if userid and not USERID.match(userid):
        raise errors.invalid("企业微信账号只能由字母、数字和 _ - @ . 组成，最长 64 个字符。")
    return userid


def _require_reach(by, agency, user) -> None:
    """``by`` manages ``agency`` and may change ``user``'s WeCom id from its page (a superuser: anyone)."""
    if by is None or agency is None or not roles.can_manage_people(by, agency):
        raise errors.not_found("没有找到该单位。")
    if by.is_superuser:
        return
    if user.is_superuser:
        raise errors.forbidden("不能修改系统管理员的企业微信账号。")
    row = people_selectors.person_row(agency, user)
    if row is None:
        raise errors.not_found("没有找到该人员。")
    if not people_selectors.may_manage_person(by, agency, row):
        raise errors.forbidden("该人员只在本单位担任财政审核人，其企业微信账号由系统管理员设置。")
    if not people_selectors.may_set_wecom_id(by, agency, row):
        raise errors.forbidden("该人员还在其他单位或财政部门担任角色，其企业微信账号只能由系统管理员设置。")


def _require_free(userid: str, user, *, superuser: bool) -> None:
    """``userid`` may become ``user``'s: no one else holds it, asks for it or (unless a superuser sets it) ever used it."""
    other = Preference.objects.filter(wecom_userid__iexact=userid).exclude(user=user).select_related("user").first()
    if other is not None:
        raise errors.invalid(f"企业微信账号“{userid}”已关联{display_name(other.user)}，同一账号不能关联两个人。")
    asked = (
        IdChangeRequest.objects.filter(status__in=IdChangeRequest.OPEN, new__iexact=userid).exclude(person=user)
        .select_related("person").first()
    )
    if asked is not None:
        raise errors.invalid(f"企业微信账号“{userid}”正等待关联给{display_name(asked.person)}，同一账号不能关联两个人。")
    if superuser:
        return
    used = UsedWeComId.objects.filter(userid=userid.lower()).exclude(person=user).select_related("person").first()
    if used is not None:
        raise errors.invalid(
            f"企业微信账号“{userid}”曾是{display_name(used.person)}的企业微信账号（可以其身份登录和办理），不能关联给其他人员。"
            "如企业微信通讯录确有调整，请联系系统管理员。"
        )


def has_open_tasks(user) -> bool:
    """Does ``user`` hold review tasks (待办) right now? Changing who signs in as them then needs two administrators."""
    return workflow_selectors.has_review_tasks(user)


def _log(request_or_none, *, kind, person, agency, old, new, by, notify_person: bool = True) -> AccountChange:
    change = AccountChange.objects.create(
        kind=kind, request=request_or_none, person=person, agency=agency, old=old, new=new, by=by,
    )
    if notify_person:
        _notify([person], wecom_messages.for_person(change), change)
    return change


def _notify(recipients, message, change: AccountChange) -> None:
    from notifications import outbox as notification_services

    recipients = [user for user in recipients if user is not None and user.is_active]
    if recipients:
        notification_services.notifications_create(
            recipients=recipients, message=message, dedupe_key=f"wecom-account:{change.pk}",
        )


def _apply(preference: Preference, userid: str, *, kind, by, agency, request=None) -> AccountChange:
    """Put ``userid`` in effect as the person's WeCom id (checked by the caller), log it and tell them."""
    old = preference.wecom_userid
    preference.wecom_userid = userid
    try:
        with transaction.atomic():
            preference.save(update_fields=["wecom_userid"])
    except IntegrityError as exc:
        raise errors.invalid(f"企业微信账号“{userid}”已关联其他人员。") from exc
    if old:  # it was theirs, and may have signed them in: it stays theirs for the rule above
        wecom_id_used(userid=old, person=preference.user, how=UsedWeComId.How.BOUND)
    if request is not None:
        request.status, request.decided_at = IdChangeRequest.Status.DONE, timezone.now()
        request.save(update_fields=["status", "decided_at", "approved_by"])
    return _log(request, kind=kind, person=preference.user, agency=agency, old=old, new=userid, by=by)


def _close(request: IdChangeRequest, *, status, kind, by) -> AccountChange:
    request.status, request.decided_at = status, timezone.now()
    request.save(update_fields=["status", "decided_at"])
    current = Preference.objects.filter(user=request.person).values_list("wecom_userid", flat=True).first() or ""
    change = _log(request, kind=kind, person=request.person, agency=request.agency, old=current, new=request.new, by=by,
                  notify_person=kind != AccountChange.Kind.DECLINE)
    if kind == AccountChange.Kind.DECLINE and request.requested_by_id:
        _notify([request.requested_by], wecom_messages.for_requester(change), change)
    return change


def _open_request(user, *, lock: bool = False) -> IdChangeRequest | None:
    rows = IdChangeRequest.objects.filter(person=user, status__in=IdChangeRequest.OPEN)
    return (rows.select_for_update() if lock else rows).first()


@transaction.atomic
def wecom_account_set(*, by, agency, user, userid: str) -> AccountOutcome:
    """``by`` sets ``user``'s WeCom id to ``userid`` (or clears it, with ""), from ``agency``'s page.

    A superuser's change is in effect at once. An agency administrator's clear is in effect at once and a new id
    waits for the person's confirmation from WeCom (``awaiting_person``); for someone holding review tasks either
    first waits for a second administrator (``awaiting_admin``). Nothing else changes on a refusal."""
    _require_reach(by, agency, user)
    userid = _clean_userid(userid)
    preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
    open_request = _open_request(user, lock=True)
    if userid.lower() == preference.wecom_userid.lower():
        if open_request is not None:  # set back to what is in effect: the pending change is withdrawn
            _close(open_request, status=IdChangeRequest.Status.CANCELLED, kind=AccountChange.Kind.CANCEL, by=by)
        return AccountOutcome("unchanged", preference.wecom_userid)
    if open_request is not None and open_request.new.lower() == userid.lower():
        return AccountOutcome(open_request.status, userid, open_request)  # asked already: nothing new
    if userid:
        _require_free(userid, user, superuser=by.is_superuser)
    if open_request is not None:  # a newer change replaces the one still waiting
        _close(open_request, status=IdChangeRequest.Status.CANCELLED, kind=AccountChange.Kind.CANCEL, by=by)
    if by.is_superuser:
        _apply(preference, userid, kind=AccountChange.Kind.SET if userid else AccountChange.Kind.CLEAR, by=by, agency=agency)
        return AccountOutcome("set" if userid else "cleared", userid)
    if has_open_tasks(user):
        request = IdChangeRequest.objects.create(
            person=user, agency=agency, old=preference.wecom_userid, new=userid, requested_by=by,
            status=IdChangeRequest.Status.AWAITING_ADMIN,
        )
        change = _log(request, kind=AccountChange.Kind.REQUEST, person=user, agency=agency, old=request.old, new=userid, by=by)
        others = roles.users_with_role(roles.Role.AGENCY_ADMIN, agency).exclude(pk__in=[by.pk, user.pk])
        _notify(list(others), wecom_messages.for_second_admin(change), change)
        return AccountOutcome(IdChangeRequest.Status.AWAITING_ADMIN, userid, request)
    if not userid:
        _apply(preference, "", kind=AccountChange.Kind.CLEAR, by=by, agency=agency)
        return AccountOutcome("cleared", "")
    request = IdChangeRequest.objects.create(
        person=user, agency=agency, old=preference.wecom_userid, new=userid, requested_by=by,
        status=IdChangeRequest.Status.AWAITING_PERSON,
    )
    _log(request, kind=AccountChange.Kind.REQUEST, person=user, agency=agency, old=request.old, new=userid, by=by)
    return AccountOutcome(IdChangeRequest.Status.AWAITING_PERSON, userid, request)


def _agency_request(by, agency, request_id) -> IdChangeRequest:
    request = (
        IdChangeRequest.objects.select_for_update(of=("self",)).select_related("person", "requested_by")
        .filter(pk=request_id, agency=agency).first()
    )
    if request is None or by is None or not roles.can_manage_people(by, agency):
        raise errors.not_found("没有找到该申请。")
    return request


@transaction.atomic
def wecom_request_approve(*, by, agency, request_id: int) -> IdChangeRequest:
    """A second administrator of ``agency`` (or a superuser) confirms a change that waits for one: a clear takes
    effect, a new id goes on to wait for the person's own confirmation."""
    request = _agency_request(by, agency, request_id)
    if request.status != IdChangeRequest.Status.AWAITING_ADMIN:
        raise errors.conflict("该申请已经处理，无需再确认。", code="already_handled")
    if by.pk == request.requested_by_id:
        raise errors.invalid("不能确认自己提交的申请：须由另一位管理员确认。")
    if by.pk == request.person_id:
        raise errors.invalid("不能确认更改自己企业微信账号的申请：须由另一位管理员确认。")
    _require_reach(by, agency, request.person)
    preference, _ = Preference.objects.select_for_update().get_or_create(user=request.person)
    if preference.wecom_userid != request.old:
        raise errors.conflict("该人员的企业微信账号在申请后已经变化，请撤回此申请后重新提交。", code="stale_request")
    request.approved_by = by
    if not request.new:
        _apply(preference, "", kind=AccountChange.Kind.CLEAR, by=by, agency=agency, request=request)
        return request
    _require_free(request.new, request.person, superuser=False)
    request.status = IdChangeRequest.Status.AWAITING_PERSON
    request.save(update_fields=["status", "approved_by"])
    _log(request, kind=AccountChange.Kind.APPROVE, person=request.person, agency=agency, old=request.old, new=request.new, by=by)
    return request


@transaction.atomic
def wecom_request_cancel(*, by, agency, request_id: int) -> IdChangeRequest:
    """An administrator of ``agency`` withdraws (or, as the second administrator, turns down) a change still waiting."""
    request = _agency_request(by, agency, request_id)
    if not request.is_open:
        raise errors.conflict("该申请已经处理，不能再撤回。", code="already_handled")
    _require_reach(by, agency, request.person)
    _close(request, status=IdChangeRequest.Status.CANCELLED, kind=AccountChange.Kind.CANCEL, by=by)
    return request


def _own_request(user, request_id) -> IdChangeRequest:
    request = IdChangeRequest.objects.select_for_update().filter(pk=request_id, person=user).first() if user.is_authenticated else None
    if request is None or not user.is_active:
        raise errors.not_found("没有找到该申请。")
    return request


@transaction.atomic
def wecom_binding_decline(*, user, request_id: int) -> IdChangeRequest:
    """The person turns down a change of their own WeCom id; the id in effect stays."""
    request = _own_request(user, request_id)
    if not request.is_open:
        raise errors.conflict("该申请已经处理。", code="already_handled")
    _close(request, status=IdChangeRequest.Status.DECLINED, kind=AccountChange.Kind.DECLINE, by=user)
    return request


def binding_confirmable(user, request_id) -> IdChangeRequest:
    """The request ``user`` may go to WeCom to confirm (read only; ``wecom_binding_confirm`` checks again)."""
    request = IdChangeRequest.objects.filter(pk=request_id, person=user).first() if user.is_authenticated else None
    if request is None or not user.is_active:
        raise errors.not_found("没有找到该申请。")
    if request.status != IdChangeRequest.Status.AWAITING_PERSON:
        raise errors.conflict(
            "该申请正等待另一位管理员确认，暂不能由您确认。" if request.status == IdChangeRequest.Status.AWAITING_ADMIN
            else "该申请已经处理。",
            code="not_awaiting_you",
        )
    return request


@transaction.atomic
def wecom_binding_confirm(*, user, request_id: int, proven_userid: str) -> AccountChange:
    """The person, signed in here as themself, came back from WeCom's sign-in as ``proven_userid``: when that is the
    id the request names, it takes effect (and is recorded as used by them)."""
    request = _own_request(user, request_id)
    binding_confirmable(user, request_id)
    proven = (proven_userid or "").strip()
    if proven.lower() != request.new.lower():
        raise errors.invalid(
            f"企业微信确认您当前登录的账号是“{proven}”，不是待确认的“{request.new}”：变更没有生效。"
            f"如果“{request.new}”是您的企业微信账号，请用它登录企业微信后再确认；否则请拒绝这次变更。"
        )
    _require_free(request.new, user, superuser=False)
    preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
    change = _apply(preference, request.new, kind=AccountChange.Kind.CONFIRM, by=user, agency=request.agency, request=request)
    wecom_id_used(userid=request.new, person=user, how=UsedWeComId.How.CONFIRM)
    return change


def wecom_id_used(*, userid: str, person, how: str) -> None:
    """Remember that ``userid`` acted as ``person`` (a sign-in, a card, a confirmation): from now on no agency
    administrator can bind it to anyone else."""
    userid = (userid or "").strip().lower()
    if not userid or person is None:
        return
    with transaction.atomic():
        row, created = UsedWeComId.objects.get_or_create(userid=userid, person=person, defaults={"how": how})
        if not created:
            row.save(update_fields=["last_used"])


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
        card = WeComCard.objects.select_for_update(of=("self",)).select_related("sheet", "recipient").filter(task_id=task_id).first()
        if card is None:
            return CardAnswer("卡片已失效，请打开页面办理")
        user = person_for_wecom_userid(userid)
        if user is None or user.pk != card.recipient_id:
            logger.warning("企业微信卡片 %s 被非接收人 %s 点击，未办理", task_id, userid)
            return CardAnswer(NOT_YOURS)
        wecom_id_used(userid=userid, person=user, how=UsedWeComId.How.CARD)
        if card.handled_at is not None:
            return CardAnswer(card.outcome or HANDLED_ELSEWHERE)
        if event_key != cards.APPROVE_KEY or chain_of(card.document).step_for(card.state) is None or chain_of(card.document).publishes(card.state):
            return CardAnswer("请打开页面办理")
        answer = _approve(card, user)
        card.handled_at = timezone.now()
        card.outcome = answer.text
        card.save(update_fields=["handled_at", "outcome"])
    return answer


def _approve(card: WeComCard, user) -> CardAnswer:
    document = card.document
    if not permissions.can_view(user, document):
        return CardAnswer(NOT_YOURS)
    waiting = flow.consulted(document) if document.consultant_id else None
    if waiting is not None:  # 加签: the step waits for someone's opinion first (the page decides afterwards)
        return CardAnswer(cut_to_bytes(f"正在等待{display_name(waiting)}的加签意见，请在页面办理", 48, marker="…"))
    try:
        event = workflow_services.document_approve(document=document, user=user, expected_version=card.version)
    except AppError as error:
        if error.status == 409:
            return CardAnswer(HANDLED_ELSEWHERE)
        if error.code == workflow_services.DUTIES_CODE:  # the rule's name, as the page says it (提交与审核分离)
            return CardAnswer(cut_to_bytes(error.message.partition("：")[0], 48, marker="…"))
        if error.status in (403, 404):
            return CardAnswer(NOT_YOURS)
        return CardAnswer(cut_to_bytes(error.message, 48, marker="…"))
    return CardAnswer(f"已通过 · {event.actor_text}", approved=True)  # 委托: 刘洋 代 赵局长


SETTLED_TEXTS = {  # what a card's button says once its task was handled elsewhere ({name}: who did it)
    Action.APPROVE: "已通过 · {name}",
    Action.RETURN: "已退回 · {name}",
    Action.WITHDRAW: "已撤回 · {name}",
    Action.REASSIGN: "已转办 · {name}",
    Action.MOVE: "已移交科室 · {name}",
}


def settles_cards(event: Event) -> bool:
    """Does ``event`` end the review task that approval cards were sent for?"""
    if event.from_state not in chain_of_event(event).review_states:
        return False
    return event.from_state != event.to_state or event.action in (Action.REASSIGN, Action.MOVE)


def cards_settle(*, event_id: int) -> list[WeComCard]:
    """The task ``event`` ended was handled in the browser (or by another reviewer's card): every card still
    showing 通过 for it is marked handled and updated in WeCom to say who did what, with the one-use
    ``response_code`` its send returned. A later tap on it answers the same words and changes nothing.

    Cards sent after the event (the next step's) and a reassigned task's new holder's cards stay open."""
    event = Event.objects.select_related("actor", "on_behalf_of").filter(pk=event_id).first()
    if event is None or not settles_cards(event):
        return []
    name = event.actor_text if event.actor_id else "系统"  # 委托: 刘洋 代 张建国
    text = SETTLED_TEXTS.get(event.action, HANDLED_ELSEWHERE).format(name=name)
    with transaction.atomic():
        open_cards = WeComCard.objects.select_for_update(skip_locked=True).filter(
            **{f"{event.document_field}_id": event.document_id}, state=event.from_state, handled_at__isnull=True, created__lt=event.created,
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
