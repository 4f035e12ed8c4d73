from monitoring.county import may_see


def monitoring_nav(request):
    """Whether the signed-in user is a leader or a finance reviewer somewhere, for the 运行监控 link in the nav.

    Costs no query of its own: the roles are read once per request (``people.roles``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"oversees_monitoring": may_see(user)}
