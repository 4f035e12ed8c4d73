"""What every kind of due message shares (``reminders``, ``evaluation_dues``, ``nudges``): the message due to its
recipients (``Due``), the role holders read at once for a run (``Holders``) and the days before a deadline reminded."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from notifications.messages import Message
from people import roles

REMINDER_DAYS_BEFORE = (7, 1)
# a deadline's first working day after it is at most this far away (the longest holiday is 8 days)
WARNING_LOOKBACK = datetime.timedelta(days=20)


@dataclass(slots=True)
class Due:
    """One message due to its recipients (``services`` writes a row per recipient and channel, once per dedupe key)."""

    kind: str
    summary: str  # one line for the run_reminders output
    recipients: list  # people (``pk``, ``username``, ``email``); items of one scope share the list: never change it
    title: str
    body: str
    url: str
    document_field: str | None  # the document it is about: its foreign key's name on the notification ("sheet") …
    document_id: int | None  # … and its id (None for an agency's digest)
    dedupe_key: str

    @classmethod
    def of(cls, *, kind: str, summary: str, recipients: list, message: Message, dedupe_key: str) -> "Due":
        document = message.document
        field = type(document).history_field if document is not None else None
        return cls(kind, summary, recipients, message.title, message.body, message.url, field, document and document.pk, dedupe_key)

    @property
    def document_key(self) -> dict:
        """The notification's document foreign key, as ``{"sheet_id": 12}`` (empty for none)."""
        return {f"{self.document_field}_id": self.document_id} if self.document_field else {}


class Holders:
    """Role holders of every section and agency involved, read in one query (never one per sheet)."""

    def __init__(self, wanted: dict[str, set[int]]):
        self._map = roles.holders_by_scope(wanted) if any(wanted.values()) else {}

    def shared(self, role: str, scope_id: int | None) -> list:
        """The holders of ``role`` on a scope (a section or agency id) as one list shared by every caller: read it,
        never change it."""
        return self._map.get((role, scope_id), _NOBODY)


_NOBODY: list = []
