from django.urls import path

from kechuang.booking import views

app_name = "booking"

urlpatterns = [
    path("", views.my_bookings, name="mine"),
    path("free/", views.free_search, name="free"),
    path("queue/", views.queue, name="queue"),
    path("statements/", views.statement, name="statement"),
    path("figures/", views.figures, name="figures"),
    path("feeds/<str:token>.ics", views.user_feed, name="user_feed"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
    path("instruments/<int:pk>/", views.instrument_calendar, name="calendar"),
    path("instruments/<int:pk>/book/", views.book, name="book"),
    path("instruments/<int:pk>/rules/", views.rules, name="rules"),
    path("instruments/<int:pk>/trainings/", views.add_training, name="add_training"),
    path("instruments/<int:pk>/closures/", views.add_closure, name="add_closure"),
    path("instruments/<int:pk>/calendar.ics", views.instrument_feed, name="instrument_feed"),
]
