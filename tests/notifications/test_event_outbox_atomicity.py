"""An event and its notifications commit together or not at all."""

import pytest

from notifications.models import Notification
from projects.models import SheetState, TargetSheet
from workflow import services
from workflow.models import Event


def test_a_move_whose_notifications_cannot_be_written_is_rolled_back(demo, monkeypatch):
    from django.contrib.auth import get_user_model

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr("notifications.fanout.notifications_create_many", broken)
    sheet = TargetSheet.objects.get(position=3)
    with pytest.raises(RuntimeError):
        services.document_submit(document=sheet, user=get_user_model().objects.get(username="staff_ggzy"))
    sheet.refresh_from_db()
    assert sheet.state == SheetState.DRAFT
    assert not Event.objects.filter(sheet=sheet).exists()
    assert not Notification.objects.filter(sheet=sheet).exists()
