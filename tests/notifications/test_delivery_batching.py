"""Delivery in batches: one WeCom application message reaches every recipient of the same content (``touser``
joins their ids with '|'), each row is marked sent, and a member over WeCom's limits (30 a minute, 1,000 an hour)
waits without holding the others back; one refused recipient fails alone; an outage or a configuration error
stops the batch after one call; a batch takes a fixed number of queries."""

from notifications import attempts
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

    outcomes = attempts.notifications_deliver(ids=[r.pk for r in same + other])

    assert {o.status for o in outcomes.values()} == {"sent"}
    assert set(Notification.objects.filter(pk__in=[r.pk for r in same + other]).values_list("status", flat=True)) == {Status.SENT}
    sends = wecom.app_messages()
    assert len(sends) == 2
    touser = {m["body"]["textcard"]["title"]: m["body"]["touser"] for m in sends}
    assert sorted(touser["请审核"].split("|")) == ["finance.wx", "head.wx", "leader.wx"]
    assert touser["已退回"] == "owner.wx"


def test_a_second_run_sends_nothing_again(org, wecom):
    batch = rows([org.head, org.leader])
    attempts.notifications_deliver(ids=[r.pk for r in batch])
    outcomes = attempts.notifications_deliver(ids=[r.pk for r in batch])
    assert {o.status for o in outcomes.values()} == {"skipped"}
    assert len(wecom.app_messages()) == 1


def test_a_member_over_the_minute_limit_waits_and_the_others_are_sent(org, wecom, settings):
    import redis

    limiter = RateLimiter(redis.Redis.from_url(settings.REDIS_URL), limit=MEMBER_RATE_LIMIT,
                          prefix=settings.WECOM_REDIS_PREFIX + "rate:member:")
    for _ in range(MEMBER_RATE_LIMIT):
        limiter.acquire("head.wx")
    batch = rows([org.head, org.leader])

    outcomes = attempts.notifications_deliver(ids=[r.pk for r in batch])

    head_row, leader_row = (Notification.objects.get(pk=r.pk) for r in batch)
    assert outcomes[leader_row.pk].status == "sent" and leader_row.status == Status.SENT
    assert outcomes[head_row.pk].status == "retry" and head_row.status == Status.PENDING
    assert head_row.attempts == 0 and "频率上限" in head_row.last_error
    assert wecom.app_messages()[0]["body"]["touser"] == "leader.wx"


def test_a_recipient_wecom_does_not_know_fails_alone(org, wecom):
    from notifications.models import Preference

    Preference.objects.filter(user=org.leader).update(wecom_userid="nobody.wx")
    batch = rows([org.head, org.leader])

    attempts.notifications_deliver(ids=[r.pk for r in batch])

    head_row, leader_row = (Notification.objects.get(pk=r.pk) for r in batch)
    assert head_row.status == Status.SENT
    assert leader_row.status == Status.FAILED and "81013" in leader_row.last_error


# ---------------------------------------------------------------- batches of the size a province sends


def many_people(wecom, n, *, prefix="member"):
    """``n`` people with WeCom ids the fake server knows."""
    from tests.support import make_user

    people = [make_user(f"{prefix}{i}", wecom_userid=f"{prefix}{i}.wx") for i in range(n)]
    wecom.users.update(f"{prefix}{i}.wx" for i in range(n))
    return people


def member_limiter(settings):
    import redis

    from notifications.channels.wecom import MEMBER_HOURLY

    return RateLimiter(redis.Redis.from_url(settings.REDIS_URL), limit=MEMBER_RATE_LIMIT,
                       prefix=settings.WECOM_REDIS_PREFIX + "rate:member:", also=MEMBER_HOURLY)


def test_thirty_identical_messages_go_out_in_one_send_to_thirty_recipients(org, wecom):
    people = many_people(wecom, 30)
    batch = rows(people, title="财政审核待办")

    outcomes = attempts.notifications_deliver(ids=[r.pk for r in batch])

    assert {o.status for o in outcomes.values()} == {"sent"}
    assert set(Notification.objects.filter(pk__in=[r.pk for r in batch]).values_list("status", flat=True)) == {Status.SENT}
    sends = wecom.app_messages()
    assert len(sends) == 1
    assert sorted(sends[0]["body"]["touser"].split("|")) == sorted(f"member{i}.wx" for i in range(30))


def test_one_unknown_recipient_among_thirty_fails_alone(org, wecom):
    people = many_people(wecom, 30)
    wecom.users.discard("member7.wx")  # left the corp: WeCom names them in invaliduser
    batch = rows(people)

    attempts.notifications_deliver(ids=[r.pk for r in batch])

    statuses = dict(Notification.objects.filter(pk__in=[r.pk for r in batch]).values_list("recipient__username", "status"))
    assert statuses.pop("member7") == Status.FAILED
    assert set(statuses.values()) == {Status.SENT}
    failed = Notification.objects.get(recipient=people[7], dedupe_key__startswith="batch")
    assert failed.last_error == "接收人在企业微信中无效（81013），请核对其企业微信账号。"
    assert failed.failure_kind == "permanent"


def test_a_message_whose_only_recipient_wecom_refuses_with_81013_fails_and_the_batch_goes_on(org, wecom):
    people = many_people(wecom, 3)
    wecom.users.discard("member1.wx")
    batch = [row for i, person in enumerate(people) for row in rows([person], title=f"各不相同的通知 {i}", key=f"own{i}")]

    outcomes = attempts.notifications_deliver(ids=[r.pk for r in batch])

    assert [outcomes[r.pk].status for r in batch] == ["sent", "failed", "sent"]
    # each message was sent on its own (in whichever order the claim read them): the refused one did not stop the others
    assert sorted(r["errcode"] for r in wecom.requests if r["path"] == "/cgi-bin/message/send") == [0, 0, 81013]
    assert "81013" in Notification.objects.get(pk=batch[1].pk).last_error


def test_two_messages_to_one_member_with_one_slot_left_send_one_and_postpone_the_other(org, wecom, settings):
    limiter = member_limiter(settings)
    for _ in range(MEMBER_RATE_LIMIT - 1):
        assert limiter.acquire("head.wx")
    first = rows([org.head], title="第一条", key="first")[0]
    second = rows([org.head], title="第二条", key="second")[0]

    outcomes = attempts.notifications_deliver(ids=[first.pk, second.pk])

    assert outcomes[first.pk].status == "sent"
    assert outcomes[second.pk].status == "retry" and 0 < outcomes[second.pk].retry_in <= 61
    second.refresh_from_db()
    assert (second.status, second.attempts) == (Status.PENDING, 0) and "频率上限" in second.last_error
    assert [m["body"]["textcard"]["title"] for m in wecom.app_messages()] == ["第一条"]


def test_a_member_at_a_thousand_messages_this_hour_waits_for_the_next_hour(org, wecom, settings):
    import time

    import redis

    hour = int(time.time() // 3600)
    redis.Redis.from_url(settings.REDIS_URL).set(
        f"{settings.WECOM_REDIS_PREFIX}rate:member:head.wx:3600s:{hour}", 1000, ex=7200
    )
    batch = rows([org.head, org.leader])

    outcomes = attempts.notifications_deliver(ids=[r.pk for r in batch])

    head_row, leader_row = batch
    assert outcomes[leader_row.pk].status == "sent"
    assert outcomes[head_row.pk].status == "retry" and 0 < outcomes[head_row.pk].retry_in <= 3601
    assert wecom.app_messages()[0]["body"]["touser"] == "leader.wx"


def test_refused_messages_do_not_use_up_the_hour(settings, wecom):
    limiter = member_limiter(settings)
    granted = limiter.take({"x.wx": 40})["x.wx"]
    assert granted.granted == MEMBER_RATE_LIMIT and 0 < granted.retry_after <= 61
    assert limiter.take({"x.wx": 5})["x.wx"].granted == 0
    import redis

    counters = redis.Redis.from_url(settings.REDIS_URL)
    hourly = [k for k in counters.scan_iter(match=settings.WECOM_REDIS_PREFIX + "rate:member:x.wx:3600s:*")]
    assert [int(counters.get(k)) for k in hourly] == [MEMBER_RATE_LIMIT]


def test_when_wecom_is_busy_the_batch_stops_after_one_call_and_every_row_is_retried(org, wecom):
    people = many_people(wecom, 5)
    batch = [row for i, person in enumerate(people) for row in rows([person], title=f"通知 {i}", key=f"busy{i}")]
    wecom.fail_next(1, -1)

    outcomes = attempts.notifications_deliver(ids=[r.pk for r in batch])

    assert {o.status for o in outcomes.values()} == {"retry"}
    assert len([r for r in wecom.requests if r["path"] == "/cgi-bin/message/send"]) == 1
    assert set(Notification.objects.filter(pk__in=[r.pk for r in batch]).values_list("status", "attempts")) == {(Status.PENDING, 1)}
    assert all("系统繁忙" in r.last_error for r in Notification.objects.filter(pk__in=[r.pk for r in batch]))


def test_a_wrong_secret_fails_the_batch_after_one_call_with_the_configuration_reason(org, wecom, settings):
    settings.WECOM_SECRET = "wrong"
    people = many_people(wecom, 4)
    batch = [row for i, person in enumerate(people) for row in rows([person], title=f"通知 {i}", key=f"secret{i}")]

    attempts.notifications_deliver(ids=[r.pk for r in batch])

    assert wecom.gettoken_calls == 1
    assert set(Notification.objects.filter(pk__in=[r.pk for r in batch]).values_list("status", "failure_kind", "last_error")) == {
        (Status.FAILED, "permanent", "企业微信应用 Secret 配置错误（40001），请检查 WECOM_SECRET。")
    }


def test_a_batch_of_fifty_different_messages_takes_three_queries(org, wecom, django_assert_num_queries):
    people = many_people(wecom, 50)
    batch = [row for i, person in enumerate(people) for row in rows([person], title=f"通知 {i}", key=f"q{i}")]

    with django_assert_num_queries(3):  # claim (UPDATE … RETURNING), read with preferences, mark sent
        outcomes = attempts.notifications_deliver(ids=[r.pk for r in batch])

    assert {o.status for o in outcomes.values()} == {"sent"}
    assert len(wecom.app_messages()) == 50


def test_a_duplicate_task_for_a_delivered_batch_takes_two_queries_and_sends_nothing(org, wecom, django_assert_num_queries):
    batch = rows(many_people(wecom, 20))
    attempts.notifications_deliver(ids=[r.pk for r in batch])

    with django_assert_num_queries(2):  # the claim finds nothing pending; the other channels' check neither
        outcomes = attempts.notifications_deliver(ids=[r.pk for r in batch])

    assert {o.status for o in outcomes.values()} == {"skipped"}
    assert len(wecom.app_messages()) == 1


def _distinct(wecom, n, key):
    people = many_people(wecom, n, prefix=key)
    return [row for i, person in enumerate(people) for row in rows([person], title=f"通知 {i}", key=f"{key}{i}")]


def test_different_messages_go_out_several_at_a_time_up_to_the_configured_number(org, wecom, settings):
    """Each send mostly waits for WeCom's answer: a slow WeCom does not hold a batch's other messages back."""
    settings.WECOM_SEND_THREADS = 3
    batch = _distinct(wecom, 10, "parallel")
    wecom.delay_next(10, 0.2)

    outcomes = attempts.notifications_deliver(ids=[r.pk for r in batch])

    assert {o.status for o in outcomes.values()} == {"sent"}
    assert len(wecom.app_messages()) == 10
    assert 2 <= wecom.most_in_flight <= 3


def test_with_one_sending_thread_messages_go_out_one_after_another(org, wecom, settings):
    settings.WECOM_SEND_THREADS = 1
    batch = _distinct(wecom, 4, "serial")
    wecom.delay_next(4, 0.05)

    attempts.notifications_deliver(ids=[r.pk for r in batch])

    assert len(wecom.app_messages()) == 4
    assert wecom.most_in_flight == 1


def test_an_outage_in_the_middle_of_a_batch_stops_the_sends_not_yet_started(org, wecom, settings):
    settings.WECOM_SEND_THREADS = 2
    batch = _distinct(wecom, 10, "midway")
    wecom.delay_next(10, 0.2)
    wecom.fail_next(1, -1, after=1)  # the first send goes through, the next one answered finds WeCom busy

    attempts.notifications_deliver(ids=[r.pk for r in batch])

    statuses = dict(Notification.objects.filter(pk__in=[r.pk for r in batch]).values_list("pk", "status"))
    calls = len([r for r in wecom.requests if r["path"] == "/cgi-bin/message/send"])
    # the first alone, then the sends already on their way (a thread answered at the same moment may have started
    # one more before the outage was seen): never the rest of the batch
    assert calls <= 1 + 2 * settings.WECOM_SEND_THREADS < 10
    assert list(statuses.values()).count(Status.SENT) == len(wecom.app_messages()) == calls - 1
    retried = Notification.objects.filter(pk__in=[r.pk for r in batch], status=Status.PENDING)
    assert retried.count() == 10 - (calls - 1)
    assert all("系统繁忙" in row.last_error for row in retried)
