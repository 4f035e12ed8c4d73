"""Two section heads press 通过 on the same task at the same moment: exactly one wins."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from projects.models import Section, SheetState, TargetSheet
from people import roles
from people.services import role_grant
from core.errors import AppError
from workflow import services
from workflow.models import Event
from tests.conftest import _seed_demo


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_approving_at_once_record_one_approval():
    _seed_demo()
    User = get_user_model()
    head, staff = User.objects.get(username="head_ggzy"), User.objects.get(username="staff_ggzy")
    colleague = User.objects.create_user("head2_ggzy", password="pw")
    role_grant(user=colleague, role=roles.SECTION_HEAD, scope=Section.objects.get(name="公共资源交易中心"))
    sheet = TargetSheet.objects.get(position=3)
    services.document_submit(document=sheet, user=staff)
    submitted_version = TargetSheet.objects.get(pk=sheet.pk).version

    barrier = threading.Barrier(2)
    outcomes = []

    def press_approve(user):
        try:
            barrier.wait(timeout=10)
            services.document_approve(document=TargetSheet.objects.get(pk=sheet.pk), user=user)
            outcomes.append("ok")
        except AppError as error:
            outcomes.append(f"{error.status} {error.message}")
        finally:
            connection.close()

    threads = [threading.Thread(target=press_approve, args=(u,)) for u in (head, colleague)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes.count("ok") == 1, outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert loser.startswith("409 ") and "已由他人处理" in loser
    sheet.refresh_from_db()
    assert sheet.state == SheetState.LEADER_REVIEW
    assert Event.objects.filter(sheet=sheet, action="approve").count() == 1
    assert sheet.version == submitted_version + 1  # one approval was written, nothing else
