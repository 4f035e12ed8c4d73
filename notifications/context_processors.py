from notifications.selectors import nav_counts
from workflow.selectors import BADGE_MAX


def nav_badges(request):
    """The signed-in user's 待办 badge (tasks and drafts waiting) and 通知 badge (unread in-app notifications) on every
    page, "99+" beyond 99: one round trip (``nav_counts``); 待办 counts its own tasks as it reads them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    inbox, unread = nav_counts(user, cap=BADGE_MAX + 1, inbox=getattr(request, "inbox_count", None))
    return {"inbox_count": _badge(inbox), "unread_notifications": _badge(unread)}


def _badge(count: int):
    return f"{BADGE_MAX}+" if count > BADGE_MAX else count
