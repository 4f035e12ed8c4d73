from notifications.selectors import unread_count


def unread_notifications(request):
    """The signed-in user's unread in-app notifications, for the 通知 badge on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
