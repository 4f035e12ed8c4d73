from django.dispatch import Signal

#: Sent inside the transaction that takes a role away (or deactivates a person):
#: ``sender=RoleChange, user=<User>, role=<Role value>, scope=<Section|Agency>, by=<User|None>``.
#: The workflow gives that person's open tasks in that scope back to the step's other holders.
role_revoked = Signal()
