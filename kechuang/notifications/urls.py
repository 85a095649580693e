from django.urls import path

from kechuang.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.read, name="read"),
    path("mailbox/", views.mailbox, name="mailbox"),
]
