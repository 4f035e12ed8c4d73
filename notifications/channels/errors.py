"""How a channel reports a failed delivery to the outbox."""

from __future__ import annotations


class DeliveryError(Exception):
    """A delivery that did not happen; ``reason`` is Chinese and goes into the outbox row.

    ``temporary``: retry later (network, busy server, rate limits); otherwise the
    row is marked failed (bad address, configuration error).
    """

    def __init__(self, reason: str, *, temporary: bool) -> None:
        self.reason = reason
        self.temporary = temporary
        super().__init__(reason)


class RateLimited(Exception):
    """The channel's rate limit is reached: try again in ``retry_after`` seconds (not a failed attempt)."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"已达到发送频率上限，{retry_after:g} 秒后重试")
