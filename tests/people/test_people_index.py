"""/people/: the agencies the signed-in user manages."""

from tests.people.conftest import PAGE


def test_owner_of_one_agency_goes_straight_to_it(browser, owner):
    response = browser(owner).get("/people/")
    assert response.status_code == 302 and response["Location"] == PAGE


def test_superuser_chooses_among_all_agencies(browser, people):
    page = browser(people.admin).get("/people/").content.decode()
    assert 'href="/people/483001/"' in page and f'href="/people/{people.other_agency.code}/"' in page


def test_an_admin_of_two_agencies_chooses(browser, owner, people):
    from people.roles import Role
    from people.services import role_grant

    role_grant(user=owner, role=Role.AGENCY_ADMIN, scope=people.other_agency, by=people.admin)
    page = browser(owner).get("/people/").content.decode()
    assert 'href="/people/483001/"' in page and f'href="/people/{people.other_agency.code}/"' in page


def test_people_who_manage_nothing_get_not_found(browser, colleague, people):
    for user in (colleague, people.leader, people.finance, people.nobody):
        assert browser(user).get("/people/").status_code == 404, user


def test_anonymous_is_sent_to_sign_in(browser):
    response = browser().get("/people/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_nav_link_costs_ordinary_pages_no_extra_role_query(browser, colleague, owner):
    """The link is shown to the agency's administrator only, and a page reads a user's roles once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for user in (colleague, owner):
        client = browser(user)
        with CaptureQueriesContext(connection) as captured:
            page = client.get("/tasks/").content.decode()
        role_reads = [q for q in captured if "guardian_userobjectpermission" in q["sql"]]
        assert len(role_reads) == 1, (user, len(role_reads))
        assert ('data-testid="nav-people"' in page) is (user == owner)
