"""Delivery in batches: one WeCom application message reaches every recipient of the same content (``touser``
joins their ids with '|'), each row is marked sent, and a member over WeCom's 30-a-minute limit waits for the
next minute without holding the others back."""

from notifications import services
from notifications.channels.wecom import MEMBER_RATE_LIMIT, RateLimiter
from notifications.models import Channel, Kind, Notification, Status


def rows(recipients, *, title="请审核", body="有一张表等待您审核。", key="batch"):
    return [
        Notification.objects.create(
            recipient=user, channel=Channel.WECOM, kind=Kind.NUDGE, title=title, body=body,
            url="https://targetflow.example/tasks/", dedupe_key=f"{key}:{user.pk}",
        )
        for user in recipients
    ]


def test_identical_messages_to_several_reviewers_go_out_as_one_send(org, wecom):
    same = rows([org.head, org.leader, org.finance])
    other = rows([org.owner], title="已退回", key="other")

    outcomes = services.notifications_deliver(ids=[r.pk for r in same + other])

    assert {o.status for o in outcomes.values()} == {"sent"}
    assert set(Notification.objects.filter(pk__in=[r.pk for r in same + other]).values_list("status", flat=True)) == {Status.SENT}
    sends = wecom.app_messages()
    assert len(sends) == 2
    touser = {m["body"]["textcard"]["title"]: m["body"]["touser"] for m in sends}
    assert sorted(touser["请审核"].split("|")) == ["finance.wx", "head.wx", "leader.wx"]
    assert touser["已退回"] == "owner.wx"


def test_a_second_run_sends_nothing_again(org, wecom):
    batch = rows([org.head, org.leader])
    services.notifications_deliver(ids=[r.pk for r in batch])
    outcomes = services.notifications_deliver(ids=[r.pk for r in batch])
    assert {o.status for o in outcomes.values()} == {"skipped"}
    assert len(wecom.app_messages()) == 1


def test_a_member_over_the_minute_limit_waits_and_the_others_are_sent(org, wecom, settings):
    import redis

    limiter = RateLimiter(redis.Redis.from_url(settings.REDIS_URL), limit=MEMBER_RATE_LIMIT,
                          prefix=settings.WECOM_REDIS_PREFIX + "rate:member:")
    for _ in range(MEMBER_RATE_LIMIT):
        limiter.acquire("head.wx")
    batch = rows([org.head, org.leader])

    outcomes = services.notifications_deliver(ids=[r.pk for r in batch])

    head_row, leader_row = (Notification.objects.get(pk=r.pk) for r in batch)
    assert outcomes[leader_row.pk].status == "sent" and leader_row.status == Status.SENT
    assert outcomes[head_row.pk].status == "retry" and head_row.status == Status.PENDING
    assert head_row.attempts == 0 and "频率上限" in head_row.last_error
    assert wecom.app_messages()[0]["body"]["touser"] == "leader.wx"


def test_a_recipient_wecom_does_not_know_fails_alone(org, wecom):
    from notifications.models import Preference

    Preference.objects.filter(user=org.leader).update(wecom_userid="nobody.wx")
    batch = rows([org.head, org.leader])

    services.notifications_deliver(ids=[r.pk for r in batch])

    head_row, leader_row = (Notification.objects.get(pk=r.pk) for r in batch)
    assert head_row.status == Status.SENT
    assert leader_row.status == Status.FAILED and "81013" in leader_row.last_error
