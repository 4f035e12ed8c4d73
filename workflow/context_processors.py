from workflow.selectors import inbox_count


def inbox(request):
    """The number of tasks waiting for the signed-in user, for the 待办 badge on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_count": inbox_count(user)}
