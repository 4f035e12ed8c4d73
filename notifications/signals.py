from django.dispatch import Signal

#: A move's notifications were written: ``sender=Event, event=<Event>``. Sent in the transaction that wrote
#: them — the move's own, or the worker's right after the move committed. Receivers that call other services
#: (WeCom) queue a task when that transaction commits.
event_notified = Signal()
