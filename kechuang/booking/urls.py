from django.urls import path

from kechuang.booking import views

app_name = "booking"

urlpatterns = [
    path("", views.my_bookings, name="mine"),
    path("<int:pk>/", views.detail, name="detail"),
]
