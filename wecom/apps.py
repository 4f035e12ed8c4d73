from django.apps import AppConfig


class WecomConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wecom"
    verbose_name = "企业微信"
