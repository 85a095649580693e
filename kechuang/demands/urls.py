from django.urls import path

from kechuang.demands import views

app_name = "demands"

urlpatterns = [
    path("", views.demand_list, name="list"),
    path("new/", views.demand_edit, name="create"),
    path("<int:pk>/", views.demand_detail, name="detail"),
    path("<int:pk>/edit/", views.demand_edit, name="edit"),
    path("<int:pk>/engage/", views.engagement_request, name="request"),
    path("<int:pk>/<str:action>/", views.demand_action, name="action"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("engagements/", views.engagement_list, name="engagements"),
    path("engagements/export.csv", views.export_engagements, name="export"),
    path("engagements/<int:pk>/", views.engagement_detail, name="engagement"),
    path("engagements/<int:pk>/answer/<str:token>/", views.answer_by_link, name="answer"),
    path("engagements/<int:pk>/<str:action>/", views.engagement_action, name="engagement_action"),
    path("inbox/", views.inbox, name="inbox"),
    path("console/", views.console, name="console"),
    path("console/push/", views.console_push, name="push"),
    path("console/matches/<int:pk>/", views.console_matches, name="console_matches"),
    path("pools/", views.pool_list, name="pools"),
    path("pools/<int:pk>/", views.pool_detail, name="pool"),
    path("experts/pick/", views.expert_picker, name="expert_picker"),
    path("enterprises/pick/", views.enterprise_picker, name="enterprise_picker"),
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
]
