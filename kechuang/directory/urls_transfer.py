from django.urls import path

from kechuang.directory import views_transfer as views

app_name = "transfer"

urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("imports/<str:import_id>/", views.status, name="status"),
    path("imports/<str:import_id>/confirm/", views.confirm, name="confirm"),
    path("template/<str:record_type>.<str:file_format>", views.template_download, name="template"),
    path("export/<str:record_type>.<str:file_format>", views.export_download, name="export"),
]
