"""``with refused(409, match=…):`` — the block must be refused with the application's error and that status."""

from contextlib import contextmanager

import pytest

from core.errors import AppError


@contextmanager
def refused(status: int, match: str | None = None):
    with pytest.raises(AppError, match=match) as info:
        yield info
    assert info.value.status == status, (info.value.status, info.value.message)
