from django.urls import path

from kechuang.opendata import views

app_name = "opendata"

urlpatterns = [
    path("", views.index, name="index"),
    path("catalog.jsonld", views.catalogue, name="catalogue"),
    path("<slug:slug>.<str:fmt>", views.download, name="download"),
]
