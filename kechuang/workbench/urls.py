from django.urls import path

from kechuang.workbench import views

app_name = "manage"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("org/<int:org_id>/", views.organization, name="organization"),
    path("org/<int:org_id>/<str:type_name>/new/", views.create, name="create"),
    path("review/", views.review, name="review"),
    path("review/<str:type_name>/<int:pk>/approve/", views.approve, name="approve"),
    path("review/<str:type_name>/<int:pk>/return/", views.return_record, name="return"),
    path("<str:type_name>/<int:pk>/edit/", views.edit, name="edit"),
    path("<str:type_name>/<int:pk>/submit/", views.submit, name="submit"),
]
