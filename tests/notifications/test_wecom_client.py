"""WeComClient against the fake WeCom server over real HTTP, with tokens in real Redis."""

import os
import socket
import uuid
from datetime import datetime, timedelta

import pytest
import redis
import time_machine

from notifications.channels.text import TRUNCATION_MARKER, utf8_len
from notifications.channels.wecom import (
    MEMBER_RATE_LIMIT,
    RateLimiter,
    RedisTokenStore,
    SendResult,
    WeComClient,
    WeComError,
)
from tests.fakes.wecom_server import MESSAGE_SEND, FakeWeComServer

REDIS_URL = os.environ.get("TARGETFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
USERS = {"zhangsan", "lisi", "wangwu"}


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client):
    prefix = f"test:targetflow:{uuid.uuid4().hex}:"
    yield prefix
    keys = list(redis_client.scan_iter(match=prefix + "*"))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def server():
    with FakeWeComServer(users=USERS) as fake:
        yield fake


@pytest.fixture
def store(redis_client, prefix):
    return RedisTokenStore(redis_client, prefix=prefix + "token:")


@pytest.fixture
def make_client(server, store):
    clients = []

    def make(**overrides):
        kwargs = dict(
            base_url=server.base_url, corp_id=server.corp_id, secret=server.secret,
            agent_id=server.agent_id, token_store=store, timeout=2.0,
        )
        kwargs.update(overrides)
        clients.append(WeComClient(**kwargs))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client):
    return make_client()


def sends(server):
    return [r for r in server.requests if r["path"] == MESSAGE_SEND]


# tokens ---------------------------------------------------------------------

def test_token_fetched_once_reused_and_cached_in_redis(server, client, redis_client, prefix):
    client.send_text(["zhangsan"], "第一条")
    client.send_text(["lisi"], "第二条")
    client.send_textcard(["wangwu"], title="任务到期", description="请处理", url="https://example.com/t/1")

    assert server.gettoken_calls == 1
    assert len(server.messages) == 3
    tokens = {r["query"]["access_token"] for r in sends(server)}
    assert len(tokens) == 1
    key = f"{prefix}token:{server.corp_id}:{server.agent_id}"
    assert redis_client.get(key).decode() == tokens.pop()
    assert 7200 - 300 - 5 <= redis_client.ttl(key) <= 7200 - 300


def test_token_shared_between_clients_through_redis(server, make_client):
    make_client().send_text(["zhangsan"], "a")
    make_client().send_text(["zhangsan"], "b")
    assert server.gettoken_calls == 1


def test_short_lived_token_cached_at_least_60_seconds(redis_client, prefix):
    with FakeWeComServer(token_ttl=200) as fake:
        store = RedisTokenStore(redis_client, prefix=prefix + "token:")
        with WeComClient(base_url=fake.base_url, corp_id=fake.corp_id, secret=fake.secret,
                         agent_id=fake.agent_id, token_store=store) as client:
            client.access_token()
    assert 55 <= redis_client.ttl(f"{prefix}token:{fake.corp_id}:{fake.agent_id}") <= 60


def test_token_cache_key_is_per_application(server, make_client):
    make_client().access_token()
    make_client(agent_id=1000003).access_token()
    assert server.gettoken_calls == 2


@pytest.mark.parametrize("invalidate, errcode", [
    (lambda s: s.expire_tokens(), 42001),
    (lambda s: s.revoke_tokens(), 40014),
    (lambda s: s.fail_next(1, 42001), 42001),
    (lambda s: s.fail_next(1, 40014), 40014),
    (lambda s: s.fail_next(1, 41001), 41001),
])
def test_invalid_token_is_refetched_and_message_delivered_once(server, client, invalidate, errcode):
    client.access_token()
    invalidate(server)

    result = client.send_text(["zhangsan"], "令牌失效后重发")

    assert result.msgid
    assert len(server.messages) == 1
    assert server.messages[0]["body"]["text"]["content"] == "令牌失效后重发"
    assert [r["errcode"] for r in sends(server)] == [errcode, 0]
    assert server.gettoken_calls == 2


def test_token_refresh_is_tried_only_once(server, client):
    server.fail_next(2, 42001)
    with pytest.raises(WeComError) as info:
        client.send_text(["zhangsan"], "x")
    assert info.value.errcode == 42001
    assert len(sends(server)) == 2
    assert server.messages == []


# errors ---------------------------------------------------------------------

@pytest.mark.parametrize("errcode", [-1, 45009])
def test_busy_and_frequency_limit_are_temporary(server, client, errcode):
    server.fail_next(1, errcode)
    with pytest.raises(WeComError) as info:
        client.send_text(["zhangsan"], "x")
    assert info.value.errcode == errcode
    assert info.value.temporary is True
    assert f"企业微信接口错误 errcode={errcode}：" in str(info.value)
    assert server.messages == []
    client.send_text(["zhangsan"], "x")  # the caller's retry succeeds
    assert len(server.messages) == 1


def test_all_recipients_invalid_is_permanent(server, client):
    with pytest.raises(WeComError) as info:
        client.send_text(["ghost"], "x")
    assert info.value.errcode == 81013
    assert info.value.temporary is False
    assert "企业微信接口错误 errcode=81013：" in str(info.value)


@pytest.mark.parametrize("errcode", [81013, 60020, 93000, 48002])
def test_injected_permanent_errors(server, client, errcode):
    server.fail_next(1, errcode)
    with pytest.raises(WeComError) as info:
        client.send_text(["zhangsan"], "x")
    assert (info.value.errcode, info.value.temporary) == (errcode, False)
    assert len(sends(server)) == 1


@pytest.mark.parametrize("field, errcode", [("secret", 40001), ("corp_id", 40013)])
def test_bad_credentials_are_permanent_and_nothing_cached(server, make_client, redis_client, prefix, field, errcode):
    client = make_client(**{field: "wrong"})
    with pytest.raises(WeComError) as info:
        client.send_text(["zhangsan"], "x")
    assert (info.value.errcode, info.value.temporary) == (errcode, False)
    assert list(redis_client.scan_iter(match=prefix + "*")) == []
    assert sends(server) == []


def test_timeout_is_temporary(server, make_client):
    client = make_client(timeout=0.3)
    client.access_token()
    server.delay_next(1, 2.0)
    with pytest.raises(WeComError) as info:
        client.send_text(["zhangsan"], "x")
    assert info.value.errcode is None
    assert info.value.temporary is True
    assert "ReadTimeout" in str(info.value)


def test_connection_refused_is_temporary(store):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with WeComClient(base_url=f"http://127.0.0.1:{port}", corp_id="c", secret="s", agent_id=1,
                     token_store=store, timeout=1.0) as client:
        with pytest.raises(WeComError) as info:
            client.send_text(["zhangsan"], "x")
    assert info.value.errcode is None and info.value.temporary is True


def test_http_5xx_is_temporary(server, client):
    client.access_token()
    server.fail_next(1, -1, status=502)
    with pytest.raises(WeComError) as info:
        client.send_text(["zhangsan"], "x")
    assert info.value.errcode is None and info.value.temporary is True
    assert "502" in str(info.value)


# content limits ---------------------------------------------------------------

def test_long_chinese_text_is_cut_and_says_so(server, client):
    client.send_text(["zhangsan"], "延" * 1000)  # 3000 bytes
    content = server.messages[0]["body"]["text"]["content"]
    assert utf8_len(content) <= 2048
    assert content.endswith(TRUNCATION_MARKER)
    assert content == "延" * ((2048 - utf8_len(TRUNCATION_MARKER)) // 3) + TRUNCATION_MARKER


def test_text_at_the_limit_is_not_cut(server, client):
    text = "延" * 682 + "ab"  # exactly 2048 bytes
    client.send_text(["zhangsan"], text)
    assert server.messages[0]["body"]["text"]["content"] == text


def test_textcard_fields_cut_and_accepted(server, client):
    client.send_textcard(["zhangsan"], title="标题" * 40, description="描述" * 200, url="https://example.com/p/1")
    card = server.messages[0]["body"]["textcard"]
    assert utf8_len(card["title"]) <= 128 and card["title"].startswith("标题标题")
    assert utf8_len(card["description"]) <= 512 and card["description"].endswith(TRUNCATION_MARKER)
    assert card["url"] == "https://example.com/p/1"
    assert card["btntxt"] == "详情"
    assert server.messages[0]["body"]["msgtype"] == "textcard"
    assert server.messages[0]["body"]["agentid"] == server.agent_id


# recipients -------------------------------------------------------------------

def test_partly_invalid_recipients_succeed_and_are_reported(server, client):
    result = client.send_text(["zhangsan", "ghost1", "lisi", "ghost2"], "x")
    assert isinstance(result, SendResult)
    assert result.invalid_users == ["ghost1", "ghost2"]
    assert result.msgid == server.messages[0]["msgid"]
    assert server.messages[0]["body"]["touser"] == "zhangsan|ghost1|lisi|ghost2"
    assert server.messages[0]["delivered_to"] == ["zhangsan", "lisi"]


def test_all_valid_recipients_give_no_invalid_users(client):
    assert client.send_text(["zhangsan", "lisi"], "x").invalid_users == []


def test_at_most_1000_users_per_call(server, client):
    users = ["zhangsan"] + [f"u{i}" for i in range(999)]
    assert len(client.send_text(users, "x").invalid_users) == 999
    with pytest.raises(ValueError):
        client.send_text(users + ["u999"], "x")
    assert len(sends(server)) == 1


def test_recipients_must_be_a_nonempty_list(client):
    with pytest.raises(TypeError):
        client.send_text("zhangsan", "x")
    with pytest.raises(ValueError):
        client.send_text([], "x")


# rate limiter -------------------------------------------------------------------

def test_rate_limiter_allows_30_a_minute_per_member(redis_client, prefix):
    limiter = RateLimiter(redis_client, limit=MEMBER_RATE_LIMIT, window=60, prefix=prefix + "rate:")
    with time_machine.travel(datetime(2024, 10, 8, 9, 0, 5), tick=False) as traveller:
        assert all(limiter.acquire("zhangsan") for _ in range(30))
        assert limiter.acquire("zhangsan") is False
        assert limiter.acquire("zhangsan") is False
        assert limiter.acquire("lisi") is True
        assert 1 <= limiter.retry_after() <= 61
        traveller.shift(timedelta(seconds=60))
        assert limiter.acquire("zhangsan") is True
    ttls = [redis_client.ttl(k) for k in redis_client.scan_iter(match=prefix + "rate:*")]
    assert ttls and all(0 < ttl <= 120 for ttl in ttls)
