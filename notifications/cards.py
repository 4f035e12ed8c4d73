"""What a WeCom message carries: links through WeCom sign-in, and approval cards for reviewers.

Every link sent into WeCom points at our sign-in door (``/wecom/signin/?next=<path>``), which
sends the phone through WeCom's authorize page (silent ``snsapi_base``) and lands the person
signed in on the page. A notification that a sheet waits for its recipient becomes a template card
(``button_interaction``, documentation path 90236) with the sheet's essentials and the buttons
通过 (a callback, ``wecom.views.callback``), 退回 and 查看详情 (both open the page: a return needs a
comment). The last step's approval publishes the sheet and asks for a confirmation on the page, so
its card carries no 通过 button.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from notifications.channels.text import cut_to_bytes
from notifications.models import Kind, Notification, WeComCard
from people.roles import display_name
from workflow import permissions
from workflow.documents import chain_of, documents_of, type_of_field
from workflow.models import DOCUMENT_FIELDS, Action

APPROVE_KEY = "approve"
# notifications that a sheet now waits for its recipient
WAITING_KINDS = frozenset({Kind.SUBMIT, Kind.APPROVE, Kind.REASSIGN, Kind.NUDGE, Kind.URGE})


def wecom_link(url: str) -> str:
    """``url`` (one of our absolute links) as a link through WeCom sign-in; other links are left as they are."""
    site = settings.SITE_URL
    if not url or not url.startswith(site + "/"):
        return url
    return f"{site}{reverse('wecom_signin')}?{urlencode({'next': url[len(site):]})}"


@dataclass
class Card:
    payload: dict
    record: WeComCard  # unsaved: saved before sending, so that a tap always finds it


def _text(value: str, limit: int = 90) -> str:
    return cut_to_bytes(value or "—", limit, marker="…")


def submitter_of(document) -> str:
    event = document.events.filter(action=Action.SUBMIT).select_related("actor").order_by("-created", "-id").first()
    return display_name(event.actor) if event is not None and event.actor is not None else "—"


def approval_card(notification: Notification, userid: str) -> Card | None:
    """The template card for a notification that a document waits for its recipient's review, or None."""
    if notification.kind not in WAITING_KINDS or notification.recipient is None:
        return None
    field = next((name for name in DOCUMENT_FIELDS if getattr(notification, f"{name}_id") is not None), None)
    if field is None:
        return None
    model = type_of_field(field)
    # every document of its type the engine moves (a sheet's adjustment included), not only the sheets in force
    document = documents_of(model).select_related(*model.approval_related).filter(pk=getattr(notification, f"{field}_id")).first()
    step = chain_of(document).step_for(document.state) if document is not None else None
    if step is None or not permissions.can_review(notification.recipient, document):
        return None  # handled meanwhile, or no longer theirs: a plain message says what happened
    link = wecom_link(settings.SITE_URL + document.get_absolute_url())
    task_id = f"tf{notification.pk}-{secrets.token_hex(8)}"
    publishes = chain_of(document).publishes(document.state)
    buttons = [] if publishes else [{"type": 0, "text": "通过", "style": 1, "key": APPROVE_KEY}]
    buttons += [
        {"type": 1, "text": "退回" if not publishes else "审核并公开", "style": 2, "url": link},
        {"type": 1, "text": "查看详情", "style": 2, "url": link},
    ]
    facts = [*document.approval_card_facts(), ("提交人", submitter_of(document))]
    payload = {
        "card_type": "button_interaction",
        "source": {"desc": document.approval_label, "desc_color": 0},  # 绩效目标表, 目标调整, 绩效自评表 …
        "main_title": {"title": _text(f"待{step.label}", 78), "desc": _text(document.display_title)},
        "sub_title_text": _text(document.agency.unit_line, 300),
        "horizontal_content_list": [{"keyname": name, "value": _text(value)} for name, value in facts],
        "card_action": {"type": 1, "url": link},
        "task_id": task_id,
        "button_list": buttons,
    }
    record = WeComCard(
        task_id=task_id, notification=notification, state=document.state, version=document.version,
        recipient=notification.recipient, wecom_userid=userid,
    )
    setattr(record, field, document)
    return Card(payload=payload, record=record)
