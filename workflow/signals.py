from django.dispatch import Signal

#: Sent inside the transaction that records a move or another history entry: ``sender=Event, event=<Event>``.
#: Receivers write their own rows (e.g. the notification outbox) in the same transaction.
event_recorded = Signal()
