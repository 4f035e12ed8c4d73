from django.urls import path

from people import api

urlpatterns = [
    path("delegations/", api.delegation_list, name="api_delegations"),
    path("delegations/<int:pk>/", api.delegation_detail, name="api_delegation"),
]
