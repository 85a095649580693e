from django.urls import path

from kechuang.challenges import views

app_name = "challenges"

urlpatterns = [
    path("", views.index, name="index"),
    path("results/", views.results, name="results"),
    path("lists/<int:pk>/", views.list_detail, name="list"),
    path("lists/<int:pk>/report/", views.report, name="report"),
    path("tasks/propose/", views.propose, name="propose"),
    path("tasks/<int:pk>/", views.challenge_detail, name="challenge"),
    path("tasks/<int:pk>/apply/", views.apply, name="apply"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("applications/<int:pk>/object/", views.object_to, name="object"),
    path("applications/<int:pk>/sign/", views.sign, name="sign"),
    path("members/<int:pk>/confirm/", views.confirm_member, name="confirm_member"),
    path("organizations/pick/", views.organization_picker, name="organization_picker"),
    path("review/", views.reviews, name="reviews"),
    path("manage/", views.manage, name="manage"),
    path("manage/tasks/propose/", views.propose_for_department, name="manage_propose"),
    path("manage/lists/<int:pk>/", views.manage_list, name="manage_list"),
    path("rounds/<int:pk>/scores.csv", views.scores_csv, name="scores_csv"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement"),
]
