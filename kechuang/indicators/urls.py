from django.urls import path

from kechuang.indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.board, name="board"),
    path("define/", views.define, name="define"),
    path("review/", views.review_queue, name="review"),
    path("report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
    path("<int:pk>/", views.indicator_detail, name="indicator"),
    path("<int:pk>/lineage/", views.lineage, name="lineage"),
    path("signings/", views.events, name="events"),
    path("signings/<int:pk>/", views.event_detail, name="event"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("ladder/", views.ladder, name="ladder"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
]
