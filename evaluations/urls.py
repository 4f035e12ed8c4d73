from django.urls import path

from evaluations import views

urlpatterns = [
    path("evaluations/", views.evaluation_list, name="evaluation_list"),
    path("sheets/<int:pk>/evaluation/", views.evaluation_start, name="evaluation_start"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:pk>/<str:move>/", views.evaluation_move, name="evaluation_move"),
]
