from django.urls import path

from kechuang.contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.create, name="create"),
    path("statistics/", views.statistics, name="statistics"),
    path("export.xlsx", views.export, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/attach/", views.attach, name="attach"),
    path("<int:pk>/review/", views.review, name="review"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
]
