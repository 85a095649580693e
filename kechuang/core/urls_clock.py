from django.urls import path

from kechuang.core import views_clock as views

app_name = "clock"

urlpatterns = [path("", views.status, name="status")]
