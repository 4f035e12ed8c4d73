"""Included by config/urls.py at ``wecom/``."""

from django.urls import path

from wecom import views

urlpatterns = [
    path("signin/", views.signin, name="wecom_signin"),
    path("oauth/", views.oauth_return, name="wecom_oauth_return"),
    path("callback/", views.callback, name="wecom_callback"),
    path("accounts/<str:code>/", views.accounts, name="wecom_accounts"),
    path("accounts/<str:code>/set/", views.account_set, name="wecom_account_set"),
]
