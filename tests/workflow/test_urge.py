"""催办 by the drafters: whoever holds the waiting step is notified (in the app and over WeCom, as an approval card),
at most once per step and working day (a second one is refused with 429 and a Chinese message; the next working
day it is allowed again). It changes nothing of the sheet: the reviewer's open page stays current."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser

from notifications.models import Channel, Notification
from projects.models import SheetState
from tests.refusals import refused
from workflow import services
from workflow.models import Action

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.datetime(2024, 3, 4, 9, 0, tzinfo=SHANGHAI)  # a working day


def test_the_drafter_urges_the_leader_once_a_working_day(sheet, people, to_state):
    with time_machine.travel(MONDAY, tick=False):
        to_state(sheet, "leader_review")
        version = sheet.version
        event = services.document_urge(document=sheet, user=people.staff_ggzy, comment="下周要用")
        sheet.refresh_from_db()
        assert (event.action, event.from_state, event.to_state) == (Action.URGE, SheetState.LEADER_REVIEW, SheetState.LEADER_REVIEW)
        assert (sheet.version, sheet.state) == (version, SheetState.LEADER_REVIEW)  # nothing changed
        told = Notification.objects.get(recipient=people.leader, channel=Channel.IN_APP, kind=Action.URGE)
        assert told.title == "催办：" + sheet.display_title
        assert "催办说明：下周要用" in told.body and "局领导审批" in told.body
        assert not Notification.objects.filter(kind=Action.URGE, recipient=people.head_ggzy).exists()
    with time_machine.travel(MONDAY + datetime.timedelta(hours=8), tick=False):
        with refused(429, match="同一环节每个工作日只能催办一次"):
            services.document_urge(document=sheet, user=people.staff_ggzy)
    with time_machine.travel(MONDAY + datetime.timedelta(days=1), tick=False):
        services.document_urge(document=sheet, user=people.staff_ggzy)
    assert sheet.events.filter(action=Action.URGE).count() == 2


def test_a_weekend_urge_counts_for_the_next_working_day(sheet, people, to_state):
    to_state(sheet, "section_review")
    with time_machine.travel(datetime.datetime(2024, 3, 9, 10, 0, tzinfo=SHANGHAI), tick=False):  # Saturday
        services.document_urge(document=sheet, user=people.staff_ggzy)
    with time_machine.travel(datetime.datetime(2024, 3, 11, 8, 0, tzinfo=SHANGHAI), tick=False):  # Monday
        with refused(429):
            services.document_urge(document=sheet, user=people.staff_ggzy)


def test_the_next_step_may_be_urged_the_same_day(sheet, people, to_state):
    to_state(sheet, "section_review")
    services.document_urge(document=sheet, user=people.staff_ggzy)
    services.document_approve(document=sheet, user=people.head_ggzy)
    services.document_urge(document=sheet, user=people.staff_ggzy)  # another step
    assert Notification.objects.filter(kind=Action.URGE, recipient=people.leader, channel=Channel.IN_APP).count() == 1


def test_the_next_decision_settles_the_urge(sheet, people, to_state):
    to_state(sheet, "leader_review")
    services.document_urge(document=sheet, user=people.staff_ggzy)
    services.document_approve(document=sheet, user=people.leader)
    told = Notification.objects.get(recipient=people.leader, channel=Channel.IN_APP, kind=Action.URGE)
    assert told.handled_at is not None


def test_nothing_to_urge_outside_the_review_steps(sheet, people):
    with refused(409, match="无需催办"):
        services.document_urge(document=sheet, user=people.staff_ggzy)


@pytest.mark.parametrize("who", ["staff_xy", "other_staff", "anonymous", "leader", "head_ggzy"])
def test_only_the_drafters_may_urge(sheet, people, to_state, who):
    to_state(sheet, "leader_review")
    user = AnonymousUser() if who == "anonymous" else getattr(people, who)
    with refused(403, match="只有本科室经办人可以催办"):
        services.document_urge(document=sheet, user=user)
    assert not sheet.events.filter(action=Action.URGE).exists()
