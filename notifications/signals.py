from django.dispatch import Signal

#: A move's notifications were written: ``sender=SheetEvent, event=<SheetEvent>, in_request=<bool>``. Sent in the
#: transaction that wrote them — the move's own (``in_request``), or the worker's right after the move committed.
#: Receivers that call other services (WeCom) do so after that transaction commits; from a request, through a task.
event_notified = Signal()
