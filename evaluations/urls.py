from django.urls import path

from evaluations import views

urlpatterns = [
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("sheets/<int:pk>/evaluation/", views.evaluation_start, name="evaluation_start"),
]
