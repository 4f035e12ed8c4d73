from people.selectors import manages_any_agency


def people_admin(request):
    """Whether the signed-in user manages some agency's people, for the 人员与角色 link in the nav.

    Costs no query of its own: ``people.roles.scope_ids`` reads all of a user's roles in one query
    per request, which the page's task badge needs anyway."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"manages_people": manages_any_agency(user)}
