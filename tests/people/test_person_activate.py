"""POST /people/<code>/people/<pk>/activate/: a deactivated account signs in again."""

import pytest
from django.contrib.auth import get_user_model

from people.models import RoleChange
from people.services import person_deactivate
from tests.people.conftest import PAGE, messages_of, signs_in


def url(person):
    return f"{PAGE}people/{person.pk}/activate/"


@pytest.fixture
def stopped(people, owner):
    person_deactivate(user=people.staff_xy, by=owner)
    return people.staff_xy


def test_owner_reactivates_a_person_who_then_signs_in_again(browser, owner, stopped):
    assert not signs_in("staff_xy", "demo")
    response = browser(owner).post(url(stopped), follow=True)
    assert "已启用赵敏的账号，此人可以重新登录。" in messages_of(response)
    assert get_user_model().objects.get(pk=stopped.pk).is_active
    assert signs_in("staff_xy", "demo")
    change = RoleChange.objects.latest("id")
    assert (change.kind, change.person, change.by) == ("activate", stopped, owner)


def test_an_active_account_is_reported(browser, owner, people, snapshot):
    before = snapshot()
    assert "该账号已经启用。" in messages_of(browser(owner).post(url(people.staff_ggzy), follow=True))
    assert snapshot() == before


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_people_who_may_not_manage_the_agency_reactivate_nobody(browser, colleague, outsider, stopped, snapshot, who):
    before = snapshot()
    assert browser({"colleague": colleague, "outsider": outsider}[who]).post(url(stopped)).status_code == 404
    assert snapshot() == before


def test_anonymous_reactivates_nobody(browser, stopped, snapshot):
    before = snapshot()
    assert browser().post(url(stopped)).status_code == 302
    assert snapshot() == before
