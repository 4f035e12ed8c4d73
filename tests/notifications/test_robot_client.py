"""RobotClient against the fake WeCom server over real HTTP."""

import os
import uuid
from datetime import datetime

import pytest
import redis
import time_machine

from notifications.channels.robot import (
    ROBOT_RATE_LIMIT,
    ROBOT_RATE_PREFIX,
    RobotClient,
    robot_rate_key,
)
from notifications.channels.text import TRUNCATION_MARKER, utf8_len
from notifications.channels.wecom import RateLimiter, WeComError
from tests.fakes.wecom_server import WEBHOOK_SEND, FakeWeComServer

REDIS_URL = os.environ.get("TARGETFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
KEY = "robot-key-" + uuid.uuid4().hex


@pytest.fixture
def server():
    with FakeWeComServer(robot_keys={KEY}) as fake:
        yield fake


@pytest.fixture
def robot(server):
    with RobotClient(base_url=server.base_url, timeout=2.0) as client:
        yield client


def test_text_delivered_with_mentions(server, robot):
    robot.send_text(KEY, "项目A已延期", mentioned_list=["zhangsan", "@all"])
    [message] = server.messages
    assert message["channel"] == "robot" and message["key"] == KEY
    assert message["body"] == {
        "msgtype": "text",
        "text": {"content": "项目A已延期", "mentioned_list": ["zhangsan", "@all"]},
    }


def test_markdown_delivered(server, robot):
    robot.send_markdown(KEY, "**项目A** <font color=\"warning\">延期</font>")
    assert server.messages[0]["body"] == {
        "msgtype": "markdown", "markdown": {"content": "**项目A** <font color=\"warning\">延期</font>"},
    }


def test_unknown_key_is_permanent(server, robot):
    with pytest.raises(WeComError) as info:
        robot.send_text("no-such-key", "x")
    assert (info.value.errcode, info.value.temporary) == (93000, False)
    assert "企业微信接口错误 errcode=93000：" in str(info.value)
    assert server.messages == []


def test_empty_key_rejected_without_request(server, robot):
    with pytest.raises(WeComError) as info:
        robot.send_text("", "x")
    assert info.value.errcode == 93000 and not info.value.temporary
    assert server.requests == []


@pytest.mark.parametrize("errcode", [-1, 45009])
def test_temporary_errors(server, robot, errcode):
    server.fail_next(1, errcode, path=WEBHOOK_SEND)
    with pytest.raises(WeComError) as info:
        robot.send_markdown(KEY, "x")
    assert (info.value.errcode, info.value.temporary) == (errcode, True)
    robot.send_markdown(KEY, "x")
    assert len(server.messages) == 1


def test_timeout_is_temporary(server):
    server.delay_next(1, 2.0)
    with RobotClient(base_url=server.base_url, timeout=0.3) as robot:
        with pytest.raises(WeComError) as info:
            robot.send_text(KEY, "x")
    assert info.value.errcode is None and info.value.temporary


def test_text_cut_to_2048_bytes(server, robot):
    robot.send_text(KEY, "汉" * 1000)
    content = server.messages[0]["body"]["text"]["content"]
    assert utf8_len(content) <= 2048 and content.endswith(TRUNCATION_MARKER)


def test_markdown_cut_to_4096_bytes_only(server, robot):
    robot.send_markdown(KEY, "汉" * 1000)  # 3000 bytes: fits markdown
    robot.send_markdown(KEY, "汉" * 2000)
    first, second = (m["body"]["markdown"]["content"] for m in server.messages)
    assert first == "汉" * 1000
    assert utf8_len(second) <= 4096 and second.endswith(TRUNCATION_MARKER)
    assert second.startswith("汉" * 1300)


def test_robot_rate_key_hides_the_secret():
    assert robot_rate_key(KEY) == robot_rate_key(KEY)
    assert KEY not in robot_rate_key(KEY)
    assert robot_rate_key(KEY) != robot_rate_key(KEY + "x")


def test_robot_rate_limit_20_a_minute():
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"test:targetflow:{uuid.uuid4().hex}:{ROBOT_RATE_PREFIX}"
    try:
        limiter = RateLimiter(client, limit=ROBOT_RATE_LIMIT, prefix=prefix)
        with time_machine.travel(datetime(2024, 10, 8, 9, 0, 30), tick=False):
            results = [limiter.acquire(robot_rate_key(KEY)) for _ in range(21)]
            assert results == [True] * 20 + [False]
            assert limiter.acquire(robot_rate_key("other")) is True
        assert all(KEY not in k.decode() for k in client.scan_iter(match=prefix + "*"))
    finally:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()
