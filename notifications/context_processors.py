from notifications.selectors import unread_count

BADGE_MAX = 99


def unread_notifications(request):
    """The signed-in user's unread in-app notifications, for the 通知 badge on every page ("99+" beyond 99)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    count = unread_count(user, cap=BADGE_MAX + 1)
    return {"unread_notifications": f"{BADGE_MAX}+" if count > BADGE_MAX else count}
