import time

from people.selectors import manages_any_agency

SESSION_KEY = "people_manages_agency"
REFRESH_SECONDS = 300


def people_admin(request):
    """Whether the signed-in user manages some agency's people, for the 人员与角色 link in the nav.

    Remembered in the session for a few minutes so that ordinary pages pay no query for it;
    the people pages themselves always check the user's roles afresh."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.is_superuser:
        return {"manages_people": True}
    session = getattr(request, "session", None)
    now = int(time.time())
    remembered = session.get(SESSION_KEY) if session is not None else None
    if remembered and remembered.get("user") == user.pk and 0 <= now - remembered.get("at", 0) < REFRESH_SECONDS:
        return {"manages_people": remembered["value"]}
    value = manages_any_agency(user)
    if session is not None:
        session[SESSION_KEY] = {"user": user.pk, "value": value, "at": now}
    return {"manages_people": value}
