from django.urls import path

from kechuang.vouchers import views

app_name = "vouchers"

urlpatterns = [
    path("", views.index, name="index"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme"),
    path("programmes/<int:pk>/apply/", views.apply, name="apply"),
    path("providers/<int:pk>/notice/", views.notice_detail, name="notice"),
    path("wallet/", views.wallet, name="wallet"),
    path("services/<int:pk>/order/", views.order_service, name="order"),
    path("orders/<int:pk>/deliver/", views.deliver, name="deliver"),
    path("orders/<int:pk>/cancel/", views.cancel_order, name="cancel_order"),
    path("provider/", views.provider_home, name="provider"),
    path("holds/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("redemptions/<int:pk>/", views.redemption_detail, name="redemption"),
    path("redemptions/<int:pk>/evidence/<int:evidence_pk>/", views.evidence_file, name="evidence"),
    path("manage/", views.manage, name="manage"),
    path("manage/programmes/new/", views.define_programme, name="define_programme"),
    path(
        "manage/applications/<int:pk>/decide/", views.decide_application, name="decide_application"
    ),
    path("manage/providers/<int:pk>/check/", views.check_enrolment, name="check_enrolment"),
    path("manage/objections/<int:pk>/resolve/", views.resolve_objection, name="resolve_objection"),
    path("manage/redemptions/approve/", views.approve_redemptions, name="approve_redemptions"),
    path("manage/batches/<int:pk>/paid/", views.pay_batch, name="pay_batch"),
    path("clearing/", views.clearing_index, name="clearing"),
    path("clearing/<int:pk>/", views.clearing_run, name="clearing_run"),
    path("clearing/<int:pk>/<str:code>.xlsx", views.clearing_statement, name="clearing_statement"),
    path("audit/", views.audit_page, name="audit"),
    path("audit/entries.csv", views.audit_entries, name="audit_entries"),
]
