from django.urls import path

from evaluations import api

urlpatterns = [
    path("sheets/<int:pk>/evaluation/", api.evaluation_create, name="api_evaluation_create"),
    path("evaluations/<int:pk>/", api.evaluation_detail, name="api_evaluation_detail"),
    path("evaluations/<int:pk>/submit/", api.evaluation_submit, name="api_evaluation_submit"),
    path("evaluations/<int:pk>/withdraw/", api.evaluation_withdraw, name="api_evaluation_withdraw"),
    path("evaluations/<int:pk>/approve/", api.evaluation_approve, name="api_evaluation_approve"),
    path("evaluations/<int:pk>/return/", api.evaluation_return, name="api_evaluation_return"),
    path("evaluations/<int:pk>/cc/", api.evaluation_cc, name="api_evaluation_cc"),
    path("evaluations/<int:pk>/consult/", api.evaluation_consult, name="api_evaluation_consult"),
    path("evaluations/<int:pk>/opinion/", api.evaluation_opinion, name="api_evaluation_opinion"),
]

urlpatterns += [
    path("agencies/<str:code>/<int:year>/department-evaluation/", api.department_evaluation_create,
         name="api_department_evaluation_create"),
    path("department-evaluations/<int:pk>/", api.department_evaluation_detail, name="api_department_evaluation_detail"),
    path("department-evaluations/<int:pk>/submit/", api.department_evaluation_submit, name="api_department_evaluation_submit"),
    path("department-evaluations/<int:pk>/withdraw/", api.department_evaluation_withdraw, name="api_department_evaluation_withdraw"),
    path("department-evaluations/<int:pk>/approve/", api.department_evaluation_approve, name="api_department_evaluation_approve"),
    path("department-evaluations/<int:pk>/return/", api.department_evaluation_return, name="api_department_evaluation_return"),
]
