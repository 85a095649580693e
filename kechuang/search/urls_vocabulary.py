from django.urls import path

from kechuang.search import views_vocabulary as views

app_name = "vocabulary"

urlpatterns = [
    path("", views.index, name="index"),
    path("add/", views.add, name="add"),
    path("bulk/", views.bulk_add, name="bulk"),
    path("<int:entry_id>/deactivate/", views.deactivate, name="deactivate"),
    path("analyze/", views.analyze, name="analyze"),
    path("rebuild/", views.rebuild_status, name="rebuild"),
]
