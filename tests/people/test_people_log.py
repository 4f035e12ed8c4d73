"""/people/<code>/log/: the agency's audit of people and roles, newest first, 50 a page."""

import re

import pytest
from django.utils import timezone

from people import services
from people.models import RoleChange
from people.roles import Role
from tests.people.conftest import PAGE

URL = f"{PAGE}log/"


def entries(page: str) -> list[str]:
    """Each row of the log as its cells' text, joined by |."""
    rows = re.findall(r'<tr data-testid="change"[^>]*>(.*?)</tr>', page, re.S)
    return ["|".join(re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)) for row in rows]


def test_the_log_shows_who_did_what_when_newest_first(browser, owner, people, agency, ggzy):
    person = services.managed_person_create(
        by=owner, agency=agency, username="staff_new", last_name="何", first_name="晓东", password="Bright-lake-2024",
    )
    services.managed_role_grant(by=owner, agency=agency, user=person, role=Role.STAFF, scope=ggzy, note="新入职")
    services.managed_role_revoke(by=owner, agency=agency, user=person, role=Role.STAFF, scope=ggzy)
    services.managed_person_deactivate(by=owner, agency=agency, user=person)

    page = browser(owner).get(URL).content.decode()
    for heading in ("时间", "操作人", "变更", "人员", "角色", "范围", "说明"):
        assert f"<th>{heading}</th>" in page
    now = timezone.localtime().strftime("%Y-%m-%d %H:")
    newest = entries(page)[:4]
    assert [e.split("|", 1)[1] for e in newest] == [
        "郑丽 unit_admin|停用账号|何晓东 staff_new|—|本单位|—",
        "郑丽 unit_admin|撤销角色|何晓东 staff_new|经办人|公共资源交易中心|—",
        "郑丽 unit_admin|授予角色|何晓东 staff_new|经办人|公共资源交易中心|新入职",
        "郑丽 unit_admin|新增人员|何晓东 staff_new|—|本单位|—",
    ]
    assert all(e.startswith(now) for e in newest)


def test_the_demo_grants_are_in_the_log_as_made_by_the_system(browser, owner):
    page = browser(owner).get(URL).content.decode()
    assert "系统|授予角色|陈明 finance|财政审核人|本单位|演示数据" in [e.split("|", 1)[1] for e in entries(page)]


def test_other_agencies_changes_are_not_shown(browser, owner, people):
    page = browser(owner).get(URL).content.decode()
    assert "other_staff" not in page and "其他局办公室" not in page


def test_fifty_a_page(browser, owner, people, agency):
    RoleChange.objects.bulk_create(
        RoleChange(kind=RoleChange.Kind.GRANT, person=people.leader, role=Role.LEADER, agency=agency, by=owner, note=f"第{n}条")
        for n in range(60)
    )
    total = RoleChange.objects.filter(agency=agency).count()
    first = browser(owner).get(URL).content.decode()
    assert len(entries(first)) == 50 and f"共 {total} 条" in first and "下一页" in first
    last = browser(owner).get(f"{URL}?page=2").content.decode()
    assert len(entries(last)) == total - 50 and "上一页" in last


@pytest.mark.parametrize("who", ["colleague", "outsider", "leader", "finance"])
def test_people_who_may_not_manage_the_agency_get_not_found(browser, people, colleague, outsider, who):
    user = {"colleague": colleague, "outsider": outsider}.get(who) or getattr(people, who)
    assert browser(user).get(URL).status_code == 404


def test_anonymous_is_sent_to_sign_in(browser, people):
    response = browser().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_superuser_reads_any_agencys_log(browser, people):
    assert browser(people.admin).get(f"/people/{people.other_agency.code}/log/").status_code == 200
