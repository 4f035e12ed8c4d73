"""The library follows content writes and publication: after the transaction that replaced a sheet's content, or
moved it into or out of 已公开, commits, that sheet's usage rows are refreshed (one refresh per transaction, however
many sheets it wrote: an import of a whole package is one refresh). What every reader sees of an entry comes from
published sheets, so a publication is what makes it public."""

from __future__ import annotations

import logging

from asgiref.local import Local
from django.db import transaction

logger = logging.getLogger(__name__)
_pending = Local()


def on_sheet_content_replaced(sender, sheet, **kwargs) -> None:
    ids = getattr(_pending, "ids", None)
    first = ids is None  # the first write since the last flush (a callback that already ran may still be listed)
    if first:
        ids = _pending.ids = set()
    ids.add(sheet.pk)
    connection = transaction.get_connection()
    if first or not any(entry[1] is _flush for entry in connection.run_on_commit):  # a rolled-back block dropped it
        transaction.on_commit(_flush)


def on_sheet_event(sender, event, **kwargs) -> None:
    """A move into or out of 已公开 (a publication, or a repair that takes one back)."""
    from projects.models import SheetState

    if (event.from_state == SheetState.PUBLISHED) != (event.to_state == SheetState.PUBLISHED):
        on_sheet_content_replaced(sender, event.sheet)


def _flush() -> None:
    ids = getattr(_pending, "ids", None) or set()
    _pending.ids = None
    if not ids:
        return
    from library import services

    try:
        services.library_sheets_refresh(sheet_ids=ids)
    except Exception:  # the sheet is saved; the derived library catches up at the next ``manage.py library_rebuild``
        logger.exception("library refresh failed for sheets %s", sorted(ids))
