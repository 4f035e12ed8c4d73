"""Two workers (threads with their own database connections) racing for the same row send it once."""

import threading

from django.db import connection

from notifications import attempts
from notifications.models import Channel, Kind, Notification, Status
from tests.support import make_user


def test_racing_deliveries_of_one_row_send_one_message(transactional_db, wecom):
    user = make_user("raced", wecom_userid="owner.wx")
    row = Notification.objects.create(
        recipient=user, channel=Channel.WECOM, kind=Kind.SUBMIT, title="待科室审核：表", body="请审核。",
        url="http://127.0.0.1:8000/sheets/1/", dedupe_key="race",
    )
    wecom.delay_next(1, 0.5, path="/cgi-bin/message/send")  # the first send is slow
    start = threading.Barrier(5)
    outcomes = []

    def worker():
        start.wait()
        try:
            outcomes.append(attempts.notification_deliver(notification_id=row.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(outcomes) == ["sent", "skipped", "skipped", "skipped", "skipped"]
    assert [m["delivered_to"] for m in wecom.app_messages()] == [["owner.wx"]]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
