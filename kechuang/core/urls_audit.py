from django.urls import path

from kechuang.core import views_audit as views

app_name = "audit"

urlpatterns = [
    path("", views.index, name="index"),
    path("export.csv", views.export, name="export"),
]
