from django.dispatch import Signal

#: Sent inside the transaction that moved sheets to another section (``projects.services.project_section_set``):
#: ``sender=TargetSheet, sheets=[TargetSheet], old_section_id=int|None, new_section=Section|None, user=User|None``.
sheets_moved = Signal()

#: Sent inside the transaction that replaced a sheet's content (``projects.services.sheet_content_replace``: an edit,
#: an import, a restore, a rollover): ``sender=TargetSheet, sheet=TargetSheet``.
sheet_content_replaced = Signal()
