"""Reads: who hears about what, and a user's notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Channel, Notification
from workflow import permissions, roles
from workflow.models import Action


def holders(role: str, sheet) -> list:
    """Active users holding ``role`` on the sheet's section (staff, heads) or agency (leaders, finance)."""
    scope = permissions.scope_of(sheet, role)
    if scope is None:
        return []
    return list(roles.users_with_role(role, scope))


def event_recipients(event) -> list:
    """Who hears about a SheetEvent; never the actor themself."""
    sheet, action = event.sheet, event.action
    if action in (Action.SUBMIT, Action.WITHDRAW):
        users = holders(roles.SECTION_HEAD, sheet)
    elif action == Action.APPROVE:
        role = permissions.REVIEW_ROLES.get(event.to_state)  # the step the sheet now waits in
        users = holders(role, sheet) if role else []
    elif action == Action.PUBLISH:
        users = holders(roles.STAFF, sheet) + holders(roles.SECTION_HEAD, sheet)
    elif action == Action.RETURN:
        users = holders(roles.STAFF, sheet)
    elif action == Action.REASSIGN:
        users = [event.target_user] if event.target_user is not None and event.target_user.is_active else []
    elif action == Action.NUDGE:
        from workflow.services import open_task

        users = task_reviewers(sheet, open_task(sheet))
    else:
        users = []
    return unique_users(u for u in users if u.pk != event.actor_id)


def task_reviewers(sheet, task) -> list:
    """The people a review task waits for: its owner once assigned or reassigned, else everyone with the step's role."""
    if task is not None and task.owner_id and task.owner.is_active:
        return [task.owner]
    role = permissions.review_role(sheet)
    return holders(role, sheet) if role else []


def unique_users(users) -> list:
    seen, result = set(), []
    for user in users:
        if user.pk not in seen:
            seen.add(user.pk)
            result.append(user)
    return result


def inbox(user) -> QuerySet:
    """The user's in-app notifications, newest first."""
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP).select_related("sheet").order_by("-created", "-id")


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).count()
