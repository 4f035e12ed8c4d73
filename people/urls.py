from django.urls import path

from people import views

urlpatterns = [
    path("people/", views.people_index, name="people_index"),
    path("people/delegations/", views.delegations, name="delegations"),  # 委托 (before the agency codes)
    path("people/delegations/candidates/", views.delegation_candidates, name="delegation_candidates"),
    path("people/delegations/principals/", views.delegation_principals, name="delegation_principals"),
    path("people/delegations/<int:pk>/cancel/", views.delegation_cancel, name="delegation_cancel"),
    path("people/<str:code>/", views.people_agency, name="people_agency"),
    path("people/<str:code>/add/", views.person_add, name="person_add"),
    path("people/<str:code>/grant/", views.role_grant, name="role_grant"),
    path("people/<str:code>/candidates/", views.people_candidates, name="people_candidates"),
    path("people/<str:code>/revoke/", views.role_revoke, name="role_revoke"),
    path("people/<str:code>/people/<int:pk>/deactivate/", views.person_deactivate, name="person_deactivate"),
    path("people/<str:code>/people/<int:pk>/activate/", views.person_activate, name="person_activate"),
    path("people/<str:code>/log/", views.people_log, name="people_log"),
]
