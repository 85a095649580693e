from django.urls import path

from kechuang.search import views_search_index as views

app_name = "search_index"

urlpatterns = [
    path("", views.status, name="status"),
    path("vectors/", views.vectors, name="vectors"),
]
