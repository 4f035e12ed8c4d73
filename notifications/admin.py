from django.contrib import admin, messages

from notifications.models import Notification, Preference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "created", "channel", "kind", "recipient", "title", "status", "attempts", "revivals", "sent_at", "short_error",
    ]
    list_filter = ["status", "failure_kind", "channel", "kind"]
    search_fields = ["title", "recipient__username", "dedupe_key", "last_error"]
    date_hierarchy = "created"
    list_select_related = ["recipient"]
    actions = ["resend"]
    readonly_fields = [
        "recipient", "channel", "kind", "sheet", "title", "body", "url", "status", "attempts", "last_error",
        "failure_kind", "failed_at", "revivals", "next_attempt_at", "claimed_at", "dedupe_key", "created", "sent_at", "read_at",
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="最近错误")
    def short_error(self, obj):
        return (obj.last_error[:60] + "…") if len(obj.last_error) > 60 else obj.last_error

    @admin.action(description="重新发送选中的发送失败通知")
    def resend(self, request, queryset):
        from notifications import sweep  # here, not at start-up (the admin is loaded by every process)

        count = sweep.notifications_resend(notifications=queryset)
        if count:
            self.message_user(request, f"已重新放入发件箱 {count} 条，稍后发送。", messages.SUCCESS)
        else:
            self.message_user(request, "选中的通知中没有发送失败的记录。", messages.WARNING)


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "wecom_userid", "email_enabled", "wecom_enabled"]
    list_filter = ["email_enabled", "wecom_enabled"]
    search_fields = ["user__username", "wecom_userid"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # the WeCom id is a sign-in identity: it changes only through wecom.services (recorded, notified, confirmed),
        # at 人员与角色 → 企业微信账号, never here
        return ["wecom_userid"]

