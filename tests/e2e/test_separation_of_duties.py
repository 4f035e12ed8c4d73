"""A person who is both 经办人 and the only 科室负责人 of their section submits: the sheet page says why nobody can
review it yet (提交与审核分离) and offers no 通过, on a desktop and on a phone."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from people import roles
from people.services import role_grant, role_revoke
from projects.models import Section, TargetSheet
from tests.e2e.conftest import sign_in
from workflow import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def waiting(people_xy):
    staff, _ = people_xy
    sheet = TargetSheet.objects.get(section__name="信用与放管服办公室", fiscal_year__year=2024)
    services.document_submit(document=sheet, user=staff)
    return sheet


@pytest.fixture
def people_xy():
    """信用与放管服办公室: its 经办人 赵敏 is made its only 科室负责人 (孙磊 no longer is)."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["staff_xy", "head_xy", "admin"])}
    section = Section.objects.get(name="信用与放管服办公室")
    role_revoke(user=users["head_xy"], role=roles.SECTION_HEAD, scope=section)
    role_grant(user=users["staff_xy"], role=roles.SECTION_HEAD, scope=section, by=users["admin"])
    return get_user_model().objects.get(username="staff_xy"), section


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_the_submitter_sees_why_the_sheet_waits_and_no_approve_button(request, live_server, shot, waiting, screen):
    page = request.getfixturevalue(screen)
    sign_in(page, live_server, "staff_xy")
    page.goto(f"{live_server.url}/sheets/{waiting.pk}/")

    expect(page.get_by_test_id("sheet-state")).to_have_text("科室审核")
    notes = page.get_by_test_id("waiting-note")
    expect(notes).to_have_count(2)
    expect(notes.nth(0)).to_contain_text("不能审核自己提交的材料：这张表本轮由您提交")
    expect(notes.nth(1)).to_contain_text("请管理员另行指定一位科室负责人")
    expect(page.get_by_test_id("approve")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, f"{screen}-waiting")
