"""Provider onboarding (服务机构入库): self-assessment → operator check → 7-day public notice (公示) open to
objections → active. Only active providers take vouchers (:func:`kechuang.vouchers.payments.is_active_provider`).

The notice ends by the clock (:func:`activate_after_notice`): an enrolment whose notice has run out with no
objection left open or upheld becomes active; an upheld objection rejects it.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kechuang.accounts.permissions import acts_for, operates, operators_of, users_of
from kechuang.core import audit
from kechuang.directory.models import Organization
from kechuang.notifications.services import localized, notify
from kechuang.vouchers.models import EnrolmentObjection, ProviderEnrolment
from kechuang.vouchers.services import require

PROVIDER_KINDS = {k for k in Organization.Kind if k != Organization.Kind.ENTERPRISE}


def request_enrolment(
    actor,
    organization: Organization,
    *,
    self_assessment: str,
    qualifications: str,
    legal_representative: str,
    phone: str,
    now: datetime,
) -> ProviderEnrolment:
    """An institution asks to become a voucher provider. A rejected request may be made again."""
    require(acts_for(actor, organization.pk), _("只能以本单位的名义申请。"), "forbidden")
    require(
        organization.kind in PROVIDER_KINDS,
        _("企业不能申请成为创新券服务机构，请由高校院所、检测机构或服务机构申请。"),
        "not_institution",
    )
    for value, label in (
        (self_assessment, _("自评报告")),
        (qualifications, _("资质证明")),
        (legal_representative, _("法定代表人")),
        (phone, _("联系电话")),
    ):
        require(value.strip(), _("请填写%(label)s。") % {"label": label}, "missing")
    with transaction.atomic():
        existing = (
            ProviderEnrolment.objects.select_for_update().filter(organization=organization).first()
        )
        fields = {
            "self_assessment": self_assessment.strip(),
            "qualifications": qualifications.strip(),
            "legal_representative": legal_representative.strip()[:50],
            "phone": phone.strip()[:30],
            "status": ProviderEnrolment.Status.SUBMITTED,
            "check_note": "",
            "submitted_by": actor,
            "submitted_at": now,
            "notice_ends_at": None,
        }
        if existing:
            require(
                existing.status == ProviderEnrolment.Status.REJECTED,
                _("本单位已经申请过，状态：%(status)s。")
                % {"status": existing.get_status_display()},
                "exists",
            )
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.save()
            enrolment = existing
        else:
            enrolment = ProviderEnrolment.objects.create(organization=organization, **fields)
        audit.record(actor, "vouchers.enrolment.submitted", enrolment, organization.name)
        if organization.region_id:
            notify(
                operators_of(organization.region),
                "vouchers.enrolment.submitted",
                localized(gettext_noop("创新券服务机构入库申请：%(name)s"), name=organization.name),
                url="/vouchers/manage/providers/",
            )
    return enrolment


def check_enrolment(
    actor, enrolment: ProviderEnrolment, *, passed: bool, note: str = "", now: datetime
) -> ProviderEnrolment:
    """The operator's check: passed starts the 7-day notice; failed rejects with a reason."""
    require(
        operates(actor, enrolment.organization.region),
        _("只有机构所在区域的科协可以审核。"),
        "forbidden",
    )
    require(passed or note.strip(), _("不通过时请写明理由。"), "no_reason")
    status = ProviderEnrolment.Status.NOTICE if passed else ProviderEnrolment.Status.REJECTED
    with transaction.atomic():
        moved = ProviderEnrolment.objects.filter(
            pk=enrolment.pk, status=ProviderEnrolment.Status.SUBMITTED
        ).update(
            status=status,
            check_note=note.strip()[:300],
            checked_by=actor,
            notice_ends_at=now + timedelta(days=ProviderEnrolment.NOTICE_DAYS) if passed else None,
        )
        require(moved == 1, _("这份申请已经审核过。"), "decided")
        audit.record(actor, "vouchers.enrolment.checked", enrolment, note, passed=passed)
        notify(
            users_of(enrolment.organization_id),
            "vouchers.enrolment.checked",
            localized(gettext_noop("创新券服务机构审核：%(result)s"), result=status.label),
            note.strip(),
            url="/vouchers/provider/",
        )
    enrolment.refresh_from_db()
    return enrolment


def object_to_enrolment(actor, enrolment: ProviderEnrolment, *, text: str, now: datetime):
    """Anyone signed in may object during the notice."""
    require(getattr(actor, "is_authenticated", False), _("请先登录。"), "forbidden")
    require(text.strip(), _("请写明异议内容。"), "no_text")
    with transaction.atomic():
        enrolment = ProviderEnrolment.objects.select_for_update().get(pk=enrolment.pk)
        require(
            enrolment.status == ProviderEnrolment.Status.NOTICE and enrolment.notice_ends_at > now,
            _("公示期已结束或尚未开始。"),
            "not_in_notice",
        )
        objection = EnrolmentObjection.objects.create(
            enrolment=enrolment, text=text.strip(), filed_by=actor, filed_at=now
        )
        audit.record(actor, "vouchers.enrolment.objected", enrolment, text[:300])
        notify(
            operators_of(enrolment.organization.region),
            "vouchers.enrolment.objected",
            localized(gettext_noop("公示异议：%(name)s"), name=enrolment.organization.name),
            url="/vouchers/manage/providers/",
        )
    return objection


def resolve_objection(
    actor, objection: EnrolmentObjection, *, upheld: bool, resolution: str, now: datetime
) -> EnrolmentObjection:
    """The operator rules on an objection; an upheld one rejects the enrolment."""
    enrolment = objection.enrolment
    require(
        operates(actor, enrolment.organization.region),
        _("只有本区域的科协可以处理异议。"),
        "forbidden",
    )
    require(resolution.strip(), _("请写明处理意见。"), "no_reason")
    with transaction.atomic():
        moved = EnrolmentObjection.objects.filter(pk=objection.pk, upheld__isnull=True).update(
            upheld=upheld, resolution=resolution.strip()[:300]
        )
        require(moved == 1, _("这条异议已经处理过。"), "decided")
        if upheld:
            ProviderEnrolment.objects.filter(
                pk=enrolment.pk, status=ProviderEnrolment.Status.NOTICE
            ).update(status=ProviderEnrolment.Status.REJECTED, check_note=resolution.strip()[:300])
        audit.record(
            actor, "vouchers.enrolment.objection_resolved", enrolment, resolution, upheld=upheld
        )
    objection.refresh_from_db()
    return objection


def activate_after_notice(now: datetime | None = None) -> str:
    """The clock's job: enrolments whose notice ended with no open or upheld objection become active."""
    now = now or timezone.now()
    done = 0
    due = ProviderEnrolment.objects.filter(
        status=ProviderEnrolment.Status.NOTICE, notice_ends_at__lte=now
    ).exclude(pk__in=EnrolmentObjection.objects.filter(upheld__isnull=True).values("enrolment"))
    for enrolment in due.select_related("organization"):
        with transaction.atomic():
            moved = ProviderEnrolment.objects.filter(
                pk=enrolment.pk, status=ProviderEnrolment.Status.NOTICE
            ).update(status=ProviderEnrolment.Status.ACTIVE, activated_at=now)
            if moved:
                done += 1
                audit.record(
                    None, "vouchers.enrolment.activated", enrolment, enrolment.organization.name
                )
                notify(
                    users_of(enrolment.organization_id),
                    "vouchers.enrolment.activated",
                    localized(
                        gettext_noop("已成为创新券服务机构：%(name)s"),
                        name=enrolment.organization.name,
                    ),
                    url="/vouchers/provider/",
                )
    return f"{done} providers activated"
