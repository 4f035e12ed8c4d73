"""The WeCom doors: silent sign-in (OAuth2 ``snsapi_base``), the encrypted callback, the WeCom ids of an agency's people
and a person's confirmation of their own (the same OAuth round trip, proving which WeCom account is on the phone).

Sign-in: every link we send into WeCom is ``/wecom/signin/?next=<path>``. That view binds a random
``state`` to the browser and sends the phone to WeCom's authorize page; WeCom comes back to
``/wecom/oauth/?code=…&state=…`` on our trusted domain. The state must be one this browser asked
for, the code is exchanged once (we refuse a code we already used, whatever WeCom says) for the
member's userid, and only the one active person with that WeCom id is signed in. Anything else
gets a Chinese page with the password login, never someone else's session.

The pending states live in a signed, HttpOnly cookie (``STATE_COOKIE``, path ``/wecom/``, 10 minutes), not in
the session: an anonymous visit to the door writes nothing to the server (a session row per visit let anyone
fill the session table). The signature (SECRET_KEY) means a browser holds only states this site gave it;
a state another browser started is never in it.
"""

from __future__ import annotations

import logging
import secrets
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core.errors import AppError
from core.pagination import page_size
from notifications.channels.wecom import WeComError
from notifications.delivery import wecom_client
from notifications.models import Preference
from people import roles
from people import selectors as people_selectors
from people.roles import display_name
from projects.models import Agency
from wecom import services
from wecom.crypto import CallbackRefused, MessageCrypt
from wecom.models import IdChangeRequest, UsedWeComId

logger = logging.getLogger(__name__)

STATE_COOKIE = "wecom_oauth"
STATE_SALT = "wecom.views.oauth-states"
STATE_MAX_AGE = 600  # seconds between leaving for WeCom's authorize page and coming back
STATES_KEPT = 5  # a few links opened in turn each keep their own state
STATE_COOKIE_MAX_BYTES = 3000  # browsers drop a cookie beyond 4 KB: the oldest states give way
NEXT_MAX_CHARS = 1000  # a longer ``next`` (no link of ours is) lands on the home page
MAX_CALLBACK_BYTES = 64 * 1024
BACKEND = "django.contrib.auth.backends.ModelBackend"

FAILURES = {
    "state": ("登录链接已失效", "这个登录请求不是由本页面发起的，或已超过 10 分钟。请回到企业微信，重新点开消息中的链接。", 400),
    "no_code": ("未获得企业微信授权", "企业微信没有返回授权码。请在企业微信中重新点开消息中的链接。", 400),
    "used_code": ("登录链接已使用过", "每个企业微信登录授权只能使用一次。请回到企业微信，重新点开消息中的链接。", 400),
    "invalid_code": ("企业微信授权无效或已过期", "授权码无效、已使用或已超过 5 分钟。请回到企业微信，重新点开消息中的链接。", 400),
    "unavailable": ("暂时无法连接企业微信", "系统暂时无法向企业微信确认您的身份，请稍后再试，或使用用户名和密码登录。", 503),
    "not_member": ("不是本单位企业微信成员", "企业微信未确认您是本企业的成员，无法免密登录。", 403),
    "unmatched": ("企业微信账号未关联本系统账号", "您的企业微信账号没有关联本系统的账号（或关联的账号已停用）。请联系本单位的单位管理员在“企业微信账号”中设置，或使用用户名和密码登录。", 403),
    "not_configured": ("系统未接入企业微信", "系统尚未配置企业微信应用，请使用用户名和密码登录。", 503),
}


def wecom_signin_configured() -> bool:
    return bool(settings.WECOM_CORP_ID and settings.WECOM_AGENT_ID and settings.WECOM_SECRET)


def safe_next(value: str | None) -> str:
    """A path on this site only (no scheme, no host, no ``//`` or backslash tricks); else the home page."""
    value = (value or "").strip()
    if (
        value.startswith("/") and not value.startswith("//") and "\\" not in value
        and url_has_allowed_host_and_scheme(value, allowed_hosts=set())
    ):
        return value
    return "/"


def authorize_url(state: str) -> str:
    """WeCom's 构造网页授权链接 (path 96714): silent ``snsapi_base``, back to our trusted domain."""
    redirect_uri = settings.WECOM_TRUSTED_BASE_URL + reverse("wecom_oauth_return")
    query = (
        f"appid={quote(settings.WECOM_CORP_ID, safe='')}&redirect_uri={quote(redirect_uri, safe='')}"
        f"&response_type=code&scope=snsapi_base&state={state}&agentid={settings.WECOM_AGENT_ID}"
    )
    return f"{settings.WECOM_AUTHORIZE_URL}?{query}#wechat_redirect"


def _failed(request, reason: str, next_url: str = "/", **extra):
    title, text, status = FAILURES[reason]
    context = {"title": title, "text": text, "login_url": f"{reverse('login')}?{urlencode({'next': next_url})}", **extra}
    return render(request, "wecom/signin_failed.html", context, status=status)


def _pending_states(request) -> dict:
    """This browser's pending states ``{state: [next, time]}``: none when the cookie is missing, forged or too old."""
    value = request.COOKIES.get(STATE_COOKIE)
    if not value:
        return {}
    try:
        pending = signing.loads(value, salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:
        return {}
    return pending if isinstance(pending, dict) else {}


def _keep_states(request, response, pending: dict):
    """Hand the browser its pending states (the newest first to stay when the cookie would grow too large)."""
    newest = sorted(pending.items(), key=lambda item: item[1][1], reverse=True)[:STATES_KEPT]
    while newest:
        value = signing.dumps(dict(newest), salt=STATE_SALT, compress=True)
        if len(value) <= STATE_COOKIE_MAX_BYTES:
            response.set_cookie(
                STATE_COOKIE, value, max_age=STATE_MAX_AGE, path="/wecom/", httponly=True, samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
            )
            return response
        newest.pop()
    if STATE_COOKIE in request.COOKIES:
        response.delete_cookie(STATE_COOKIE, path="/wecom/", samesite="Lax")
    return response


@require_GET
def signin(request):
    """The door of every link sent into WeCom: remember where to go, bind a state to this browser, go to WeCom."""
    next_url = safe_next(request.GET.get("next"))
    if len(next_url) > NEXT_MAX_CHARS:
        next_url = "/"
    if not wecom_signin_configured():
        return _failed(request, "not_configured", next_url)
    return _to_wecom(request, next_url)


def _to_wecom(request, next_url: str, binding: int | None = None):
    """Go to WeCom's authorize page with a new state bound to this browser (with the request to confirm, for
    在企业微信中确认); a few are kept at a time."""
    state = secrets.token_hex(16)  # a-zA-Z0-9, ≤ 128 bytes
    pending = _pending_states(request)
    pending[state] = [next_url, int(time.time())] + ([binding] if binding else [])
    return _keep_states(request, redirect(authorize_url(state)), pending)


@require_GET
def oauth_return(request):
    """WeCom's redirect back with ``code`` and ``state``: check the state, spend it, exchange the code once, sign in."""
    state = request.GET.get("state") or ""
    pending = _pending_states(request)
    entry = pending.pop(state, None) if state else None
    return _keep_states(request, _oauth_signin(request, entry), pending)


def _oauth_signin(request, entry):
    if not isinstance(entry, list) or len(entry) not in (2, 3) or time.time() - entry[1] > STATE_MAX_AGE:
        return _failed(request, "state")
    next_url = safe_next(entry[0])
    code = request.GET.get("code") or ""
    if not code or len(code.encode("utf-8")) > 512:
        return _failed(request, "no_code", next_url)
    if not services.oauth_code_consume(code):
        return _failed(request, "used_code", next_url)
    try:
        with wecom_client() as client:
            info = client.getuserinfo(code)
    except WeComError as exc:
        if exc.errcode == 40029:
            return _failed(request, "invalid_code", next_url)
        logger.warning("企业微信登录：getuserinfo 失败：%s", exc)
        return _failed(request, "unavailable", next_url)
    userid = str(info.get("userid") or info.get("UserId") or "")
    if len(entry) > 2 and entry[2]:  # the way back of 在企业微信中确认 (binding_confirm): nobody is signed in here
        return _binding_return(request, entry[2], userid)
    user = services.person_for_wecom_userid(userid) if userid else None
    if user is None:
        if request.user.is_authenticated:
            logout(request)  # whoever was signed in on this phone is not the person WeCom names
        return _failed(request, "unmatched" if userid else "not_member", next_url, userid=userid)
    login(request, user, backend=BACKEND)
    services.wecom_id_used(userid=userid, person=user, how=UsedWeComId.How.SIGNIN)
    return redirect(next_url)


def _binding_return(request, request_id: int, userid: str):
    """WeCom says who is signed in to it on this phone: if that is the id the person was asked to confirm, it is theirs."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?{urlencode({'next': reverse('wecom_binding')})}")
    if not userid:
        messages.error(request, "企业微信未确认您是本企业的成员，变更没有生效。")
        return redirect("wecom_binding")
    try:
        change = services.wecom_binding_confirm(user=request.user, request_id=request_id, proven_userid=userid)
    except AppError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"企业微信账号“{change.new}”已生效：今后可以从企业微信免密登录。")
    return redirect("wecom_binding")


# ---------------------------------------------------------------- the callback


def _crypt() -> MessageCrypt | None:
    try:
        return MessageCrypt(
            token=settings.WECOM_CALLBACK_TOKEN, encoding_aes_key=settings.WECOM_ENCODING_AES_KEY,
            receive_id=settings.WECOM_CORP_ID,
        )
    except ValueError:
        return None


def _xml(data: bytes | str) -> dict[str, str]:
    """The child elements of a small XML document; no DTD, no entities."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise CallbackRefused("XML 不允许包含 DTD")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise CallbackRefused("XML 格式不正确") from exc
    return {child.tag: (child.text or "").strip() for child in root}


def _refused(reason: str) -> HttpResponse:
    logger.warning("拒绝企业微信回调：%s", reason)
    return HttpResponse("refused", status=403, content_type="text/plain; charset=utf-8")


@csrf_exempt
def callback(request):
    """The application's 接收消息 URL: URL verification (GET) and encrypted events (POST), path 90968."""
    crypt = _crypt()
    if crypt is None:
        raise Http404("未配置企业微信回调。")
    query = request.GET
    msg_signature, timestamp, nonce = query.get("msg_signature", ""), query.get("timestamp", ""), query.get("nonce", "")
    if request.method == "GET":
        echostr = query.get("echostr", "")
        try:
            crypt.verify(msg_signature, timestamp, nonce, echostr)
            plain = crypt.decrypt(echostr)
        except CallbackRefused as exc:
            return _refused(str(exc))
        return HttpResponse(plain, content_type="text/plain; charset=utf-8")
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    if len(request.body) > MAX_CALLBACK_BYTES:
        return _refused("请求体过大")
    try:
        encrypted = _xml(request.body).get("Encrypt", "")
        crypt.verify(msg_signature, timestamp, nonce, encrypted)  # before anything is decrypted
        services.callback_accept(signature=msg_signature, timestamp=timestamp, nonce=nonce)
        event = _xml(crypt.decrypt(encrypted))
    except CallbackRefused as exc:
        return _refused(str(exc))
    if event.get("MsgType") == "event" and event.get("Event") == "template_card_event":
        userid = event.get("FromUserName", "")
        answer = services.card_tap(task_id=event.get("TaskId", ""), event_key=event.get("EventKey", ""), userid=userid)
        services.card_update(userid=userid, response_code=event.get("ResponseCode", ""), text=answer.text)
    return HttpResponse("", content_type="text/plain; charset=utf-8")  # no passive reply


# ---------------------------------------------------------------- WeCom ids of an agency's people


def _managed_agency_or_404(user, code) -> Agency:
    agency = Agency.objects.filter(code=code).first()
    if agency is None or not roles.can_manage_people(user, agency):
        raise Http404("没有找到该单位。")
    return agency


@login_required
def accounts(request, code):
    """企业微信账号: who signs in as whom from WeCom (and receives WeCom messages), and the changes still waiting.

    A keyset page of the agency's people at a time (``people_selectors.agency_people_page``, the 人员与角色 page's
    order and search), and their ids and waiting changes read for that page only: the same queries for an agency of
    5 people and page 20 of one of 1,000."""
    agency = _managed_agency_or_404(request.user, code)
    search = (request.GET.get("q") or "").strip()[:100]
    page = people_selectors.agency_people_page(
        agency, search=search, cursor=request.GET.get("cursor"), size=page_size(request.GET.get("size")), params={"q": search},
    )
    rows = page.rows
    users = [r.user for r in rows]
    ids = dict(Preference.objects.filter(user__in=users).values_list("user_id", "wecom_userid")) if users else {}
    waiting = {r.person_id: r for r in IdChangeRequest.objects.filter(person__in=users, status__in=IdChangeRequest.OPEN)
               .select_related("requested_by", "approved_by")} if users else {}
    for row in rows:
        row.wecom_userid = ids.get(row.user.pk, "")
        row.request = waiting.get(row.user.pk)
        row.manageable = request.user.is_superuser or (
            not row.user.is_superuser and people_selectors.may_set_wecom_id(request.user, agency, row)
        )
        if row.request is not None:
            row.request.approvable = (
                row.manageable and row.request.status == IdChangeRequest.Status.AWAITING_ADMIN
                and request.user.pk not in (row.request.requested_by_id, row.user.pk)
            )
    context = {
        "agency": agency, "people": rows, "page": page, "filters": {"q": search}, "back": _back_fields(request.GET),
        "nav": "people", "signin_configured": wecom_signin_configured(),
    }
    return render(request, "wecom/accounts.html", context)


def _back_fields(query) -> dict:
    """The list's place (search and page) that a form on it carries, to come back to it after the change."""
    return {name: (query.get(name) or "").strip()[:limit] for name, limit in (("q", 100), ("cursor", 500)) if query.get(name)}


def _back_to_list(request, agency):
    """The accounts page at the place the form was sent from (its search and page), else its first page."""
    url = reverse("wecom_accounts", kwargs={"code": agency.code})
    back = _back_fields(request.POST)
    return redirect(f"{url}?{urlencode(back)}" if back else url)


OUTCOME_TEXTS = {
    "set": "已将{name}的企业微信账号设为“{userid}”，已通知本人。",
    "cleared": "已清除{name}的企业微信账号，已通知本人。",
    "unchanged": "{name}的企业微信账号没有变化。",
    IdChangeRequest.Status.AWAITING_PERSON: (
        "已申请将{name}的企业微信账号设为“{userid}”：须由本人在企业微信中确认后才生效，已通知本人。在此之前原账号照常使用。"
    ),
    IdChangeRequest.Status.AWAITING_ADMIN: (
        "{name}有待办审核事项：更改其企业微信账号须由另一位管理员确认，申请已提交并通知本单位其他管理员和本人，目前没有任何变化。"
    ),
}


@login_required
@require_POST
def account_set(request, code):
    agency = _managed_agency_or_404(request.user, code)
    person = _person_or_404(request.POST.get("person"))
    try:
        outcome = services.wecom_account_set(by=request.user, agency=agency, user=person, userid=request.POST.get("wecom_userid", ""))
    except AppError as error:
        if error.status in (403, 404):
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, OUTCOME_TEXTS[outcome.status].format(name=display_name(person), userid=outcome.userid))
    return _back_to_list(request, agency)


def _person_or_404(value):
    try:
        return get_object_or_404(get_user_model(), pk=int(value or 0))
    except ValueError:
        raise Http404("没有找到该人员。") from None


def _decide(request, code, pk, write, done: str):
    agency = _managed_agency_or_404(request.user, code)
    try:
        change_request = write(by=request.user, agency=agency, request_id=pk)
    except AppError as error:
        if error.status in (403, 404):
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, done.format(name=display_name(change_request.person)))
    return _back_to_list(request, agency)


@login_required
@require_POST
def request_approve(request, code, pk):
    """The second administrator's 确认 of a change for someone holding review tasks."""
    return _decide(request, code, pk, services.wecom_request_approve, "已确认{name}的企业微信账号变更申请，已通知本人。")


@login_required
@require_POST
def request_cancel(request, code, pk):
    return _decide(request, code, pk, services.wecom_request_cancel, "已撤回{name}的企业微信账号变更申请，账号保持不变，已通知本人。")


# ---------------------------------------------------------------- one's own WeCom id


@login_required
def binding(request):
    """我的企业微信账号: the id in effect, and a change waiting for the person's confirmation (or refusal)."""
    preference = Preference.objects.filter(user=request.user).first()
    waiting = IdChangeRequest.objects.filter(person=request.user, status__in=IdChangeRequest.OPEN).select_related("requested_by").first()
    context = {
        "wecom_userid": preference.wecom_userid if preference else "", "waiting": waiting,
        "signin_configured": wecom_signin_configured(), "nav": "notifications",
    }
    return render(request, "wecom/binding.html", context)


@login_required
@require_GET
def binding_confirm(request, pk):
    """在企业微信中确认: ask WeCom who is signed in to it on this phone; the way back (``oauth_return``) confirms.

    A link, like ``/wecom/signin/`` (a form could not redirect to WeCom under the CSP's ``form-action 'self'``). Opening
    it decides nothing: what decides is WeCom's answer that this phone is signed in as the id asked for, brought back
    to a state only this session started, for the person signed in here."""
    if not wecom_signin_configured():
        messages.error(request, "系统尚未接入企业微信，无法在企业微信中确认；请联系系统管理员。")
        return redirect("wecom_binding")
    try:
        change_request = services.binding_confirmable(request.user, pk)
    except AppError as error:
        if error.status == 404:
            raise
        messages.error(request, error.message)
        return redirect("wecom_binding")
    return _to_wecom(request, reverse("wecom_binding"), binding=change_request.pk)


@login_required
@require_POST
def binding_decline(request, pk):
    try:
        services.wecom_binding_decline(user=request.user, request_id=pk)
    except AppError as error:
        if error.status == 404:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, "已拒绝这次企业微信账号变更，您的企业微信账号保持不变，已告知申请的管理员。")
    return redirect("wecom_binding")
