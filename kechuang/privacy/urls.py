from django.urls import path

from kechuang.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("my-data.json", views.export, name="export"),
    path("delete/", views.delete, name="delete"),
    path("requests/", views.requests, name="requests"),
]
