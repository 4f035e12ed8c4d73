from django.urls import path

from sheets import api

urlpatterns = [
    path("sheets/", api.sheet_list, name="api_sheet_list"),
    path("sheets/<int:pk>/", api.sheet_detail, name="api_sheet_detail"),
    path("sheets/<int:pk>/submit/", api.sheet_submit, name="api_sheet_submit"),
    path("sheets/<int:pk>/withdraw/", api.sheet_withdraw, name="api_sheet_withdraw"),
    path("sheets/<int:pk>/approve/", api.sheet_approve, name="api_sheet_approve"),
    path("sheets/<int:pk>/return/", api.sheet_return, name="api_sheet_return"),
    path("sheets/<int:pk>/reassign/", api.sheet_reassign, name="api_sheet_reassign"),
    path("sheets/<int:pk>/revoke/", api.sheet_revoke, name="api_sheet_revoke"),
    path("sheets/<int:pk>/urge/", api.sheet_urge, name="api_sheet_urge"),
    path("sheets/<int:pk>/cc/", api.sheet_cc, name="api_sheet_cc"),
    path("sheets/<int:pk>/consult/", api.sheet_consult, name="api_sheet_consult"),
    path("sheets/<int:pk>/opinion/", api.sheet_opinion, name="api_sheet_opinion"),
    path("sheets/<int:pk>/export.docx", api.sheet_export, name="api_sheet_export"),
]
