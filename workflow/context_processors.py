from workflow.selectors import inbox_count

BADGE_MAX = 99


def inbox(request):
    """The number of tasks waiting for the signed-in user, for the 待办 badge on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    count = getattr(request, "inbox_count", None)  # counted by the page already (待办 reads its tasks)
    if count is None:
        count = inbox_count(user, cap=BADGE_MAX + 1)
    return {"inbox_count": f"{BADGE_MAX}+" if count > BADGE_MAX else count}
