"""Reads: who hears about what, and a user's notifications."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.db import prepared_cursor
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


def unread_count(user) -> int:
    """The user's unread in-app notifications, all counted (the API); the nav's badge counts them up to its cap
    (``nav_counts``)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).count()


def _unread_sql(user, cap: int) -> tuple[str, list]:
    """The nav badge's capped count of unread notifications, written once (the ORM built and compiled it on every page): read along
    the (recipient, channel, read_at) index, stopping at ``cap``."""
    return (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {Notification._meta.db_table} WHERE recipient_id = %s AND channel = %s"
        f" AND read_at IS NULL LIMIT {int(cap)}) unread",
        [user.pk, Channel.IN_APP.value],
    )


def nav_counts(user, *, cap: int, inbox: int | None = None) -> tuple[int, int]:
    """The nav's two badges of ``user``: tasks and drafts waiting (``workflow.selectors.inbox_count``; ``inbox`` when
    the page counted them already) and unread notifications, each up to ``cap``: one round trip to the database."""
    unread_sql, unread_params = _unread_sql(user, cap)
    statement = workflow_selectors.inbox_count_statement(user, cap=cap) if inbox is None else None
    with prepared_cursor() as cursor:  # the same text on every page: planned once per connection
        if statement is None:
            cursor.execute(unread_sql, unread_params)
            return inbox or 0, cursor.fetchone()[0]
        inbox_sql, inbox_params = statement
        cursor.execute(f"SELECT ({inbox_sql}), ({unread_sql})", [*inbox_params, *unread_params])
        return tuple(cursor.fetchone())
