from django.urls import path

from kechuang.auctions import views

app_name = "auctions"

urlpatterns = [
    path("", views.index, name="index"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/register/", views.register, name="register"),
    path("lots/<int:pk>/", views.lot_detail, name="lot"),
    path("lots/<int:pk>/live/", views.lot_live, name="live"),
    path("lots/<int:pk>/bid/", views.bid, name="bid"),
    path("lots/<int:pk>/proxy/", views.proxy, name="proxy"),
    path("lots/<int:pk>/projector/", views.projector, name="projector"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("manage/", views.manage, name="manage"),
    path("manage/sessions/<int:pk>/", views.manage_session, name="manage_session"),
    path("manage/sessions/<int:pk>/<str:action>/", views.session_action, name="session_action"),
    path("manage/registrations/<int:pk>/deposit/", views.record_deposit, name="deposit"),
    path("manage/lots/<int:pk>/documents/", views.upload_document, name="upload"),
    path("manage/lots/<int:pk>/floor/", views.floor, name="floor"),
]
