"""django-axes (login throttling) under its Chinese name in the admin: Django's way of renaming a third-party app is
an AppConfig subclass named in INSTALLED_APPS. Its label stays "axes" (tables and migrations unchanged); its strings
are translated by the `people` app's catalog (people/locale/zh_Hans)."""

from axes.apps import AppConfig


class LoginProtectionConfig(AppConfig):
    verbose_name = "登录保护"
