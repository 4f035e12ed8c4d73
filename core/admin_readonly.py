"""The admin's read-only records: rows only their services write (the history, the spending reports, the monitoring
documents, the WeCom account changes) are listed and shown in the admin, never added, changed or deleted there — a
change there would skip every check the services make."""


class ReadOnly:
    """Mix in before ``admin.ModelAdmin`` (or an inline): no add, change or delete permission."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
