from django.urls import path

from evaluations import public, views

urlpatterns = [
    path("evaluations/", views.evaluation_list, name="evaluation_list"),
    path("sheets/<int:pk>/evaluation/", views.evaluation_start, name="evaluation_start"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("agencies/<str:code>/<int:year>/evaluations/", views.agency_evaluations, name="agency_evaluations"),
    path("agencies/<str:code>/<int:year>/evaluations/deadline/", views.agency_deadline, name="agency_evaluation_deadline"),
    path("agencies/<str:code>/<int:year>/evaluations/department/", views.department_evaluation_start, name="department_evaluation_start"),
    path("department-evaluations/<int:pk>/", views.department_evaluation_detail, name="department_evaluation_detail"),
    path("department-evaluations/<int:pk>/<str:move>/", views.department_evaluation_move, name="department_evaluation_move"),
    path("public/agencies/<str:code>/<int:year>/", public.public_agency_year, name="public_agency_year"),
    path("public/evaluations/<int:pk>/", public.public_evaluation, name="public_evaluation"),
    path("public/department-evaluations/<int:pk>/", public.public_department_evaluation, name="public_department_evaluation"),
    path("evaluations/<int:pk>/<str:move>/", views.evaluation_move, name="evaluation_move"),
]
