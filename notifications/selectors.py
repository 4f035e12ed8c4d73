"""Reads: who hears about what, and a user's notifications."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from notifications.models import Channel, Notification
from workflow import flow
from workflow import selectors as workflow_selectors
from workflow.documents import document_types


def holders(role: str, sheet) -> list:
    """Active users holding ``role`` on the sheet's section (staff, heads) or agency (leaders, finance)."""
    return flow.holders(role, sheet)


def event_recipients(event) -> list:
    """Who hears about a Event (never the actor themself): declared with the approval's steps."""
    return flow.audience(event)


def task_reviewers(sheet) -> list:
    """The people a waiting sheet waits for: its assignee once reassigned, else everyone with the step's role."""
    return flow.reviewers(sheet)


def unique_users(users) -> list:
    seen, result = set(), []
    for user in users:
        if user.pk not in seen:
            seen.add(user.pk)
            result.append(user)
    return result


def inbox(user, *, search: str = "") -> QuerySet:
    """The user's in-app notifications, newest first; ``search``: those whose title or text (which name the document
    and the people who acted) or whose document's name or code contains it. Read from the recipient's rows only."""
    rows = Notification.objects.filter(recipient=user, channel=Channel.IN_APP).select_related("sheet").order_by("-created", "-id")
    if not search:
        return rows
    condition = Q(title__icontains=search) | Q(body__icontains=search)
    for model in document_types():
        condition |= workflow_selectors.document_search(model, search, prefix=f"{model.history_field}__")
    return rows.filter(condition)


def unread_count(user, *, cap: int | None = None) -> int:
    """The user's unread in-app notifications; with ``cap``, counted up to it (the badge on every page reads at most
    that many index entries, however many a province's finance reviewer has left unread)."""
    if not user.is_authenticated:
        return 0
    unread = Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True)
    if cap is None:
        return unread.count()
    return unread.order_by().values("pk")[:cap].count()
