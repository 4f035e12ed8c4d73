"""Included by config/urls.py at ``wecom/``."""

from django.urls import path

from wecom import views

urlpatterns = [
    path("signin/", views.signin, name="wecom_signin"),
    path("oauth/", views.oauth_return, name="wecom_oauth_return"),
    path("callback/", views.callback, name="wecom_callback"),
    path("accounts/<str:code>/", views.accounts, name="wecom_accounts"),
    path("accounts/<str:code>/set/", views.account_set, name="wecom_account_set"),
    path("accounts/<str:code>/requests/<int:pk>/approve/", views.request_approve, name="wecom_request_approve"),
    path("accounts/<str:code>/requests/<int:pk>/cancel/", views.request_cancel, name="wecom_request_cancel"),
    path("binding/", views.binding, name="wecom_binding"),
    path("binding/<int:pk>/confirm/", views.binding_confirm, name="wecom_binding_confirm"),
    path("binding/<int:pk>/decline/", views.binding_decline, name="wecom_binding_decline"),
]
