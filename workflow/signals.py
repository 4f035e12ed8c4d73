from django.dispatch import Signal

#: Sent inside the transaction that records a SheetEvent: ``sender=SheetEvent, event=<SheetEvent>``.
#: Receivers write their own rows (e.g. the notification outbox) in the same transaction.
sheet_event_recorded = Signal()
