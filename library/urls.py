from django.urls import path

from library import views

urlpatterns = [
    path("library/", views.library_index, name="library_index"),
    path("library/suggest/", views.suggest, name="library_suggest"),
    path("library/<int:pk>/", views.entry_detail, name="library_entry"),
    path("library/<int:pk>/recommend/", views.entry_recommend, name="library_recommend"),
    path("library/<int:pk>/retire/", views.entry_retire, name="library_retire"),
    path("library/<int:pk>/merge/", views.entry_merge, name="library_merge"),
]
