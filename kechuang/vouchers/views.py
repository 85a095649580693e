"""Pages of the voucher capability. Views parse input, call the services and render; a refused action
comes back as a message on the same page, with nothing changed."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts.permissions import (
    acts_for,
    is_operator,
    managed_regions,
    operates,
    roles_of,
)
from kechuang.core.actions import Refused
from kechuang.core.feedback import attempt
from kechuang.directory.models import ServiceItem
from kechuang.ledger.queries import violations
from kechuang.vouchers import clearing, exports, payments, providers, queries, redemptions, services
from kechuang.vouchers.forms import (
    ApplicationForm,
    BatchPaidForm,
    CheckForm,
    ClearingRunForm,
    DecisionForm,
    DeliverForm,
    EnrolmentForm,
    ObjectionForm,
    OrderForm,
    ProgrammeForm,
    RedemptionDecisionForm,
    RedemptionForm,
)
from kechuang.vouchers.models import (
    ClearingRun,
    EnrolmentObjection,
    ItemKind,
    ProviderEnrolment,
    Redemption,
    ServiceOrder,
    SettlementBatch,
    Voucher,
    VoucherApplication,
    VoucherHold,
    VoucherProgramme,
)
from kechuang.vouchers.providers import PROVIDER_KINDS


def may_audit(user) -> bool:
    """Auditors (the ``vouchers.audit_ledger`` permission, e.g. through the 审计 group) and superusers."""
    return getattr(user, "is_authenticated", False) and user.has_perm("vouchers.audit_ledger")


# --- public -----------------------------------------------------------------------------------------------


def index(request):
    programmes = list(
        VoucherProgramme.objects.public().select_related("region").order_by("-year", "region__code")
    )
    notices = ProviderEnrolment.objects.filter(
        status=ProviderEnrolment.Status.NOTICE
    ).select_related("organization__region")
    return render(
        request,
        "vouchers/index.html",
        {"programmes": programmes, "notices": notices},
    )


def programme_detail(request, pk: int):
    programme = get_object_or_404(
        VoucherProgramme.objects.public().select_related("region", "federation"), pk=pk
    )
    figures = queries.programme_figures(programme)
    may_apply = (
        bool(roles_of(request.user).enterprises)
        and programme.status == VoucherProgramme.Status.OPEN
    )
    chart = [
        [_("未发放"), str(figures["unissued"])],
        [_("券面未用"), str(figures["unspent"])],
        [_("冻结中"), str(figures["held"])],
        [_("已使用待兑付"), str(figures["spent"])],
        [_("已兑付"), str(figures["redeemed"])],
    ]
    return render(
        request,
        "vouchers/programme.html",
        {
            "programme": programme,
            "figures": figures,
            "chart": chart,
            "partners": programme.partner_regions.all(),
            "service_categories": [
                ServiceItem.Category(c).label for c in programme.service_categories
            ],
            "instrument_categories": [
                label
                for value, label in _instrument_choices()
                if value in programme.instrument_categories
            ],
            "may_apply": may_apply,
        },
    )


def _instrument_choices():
    from kechuang.directory.models import Instrument

    return Instrument.Category.choices


def notice_detail(request, pk: int):
    """A provider's public notice (公示): anyone signed in may object while it runs."""
    enrolment = get_object_or_404(
        ProviderEnrolment.objects.exclude(status=ProviderEnrolment.Status.SUBMITTED).select_related(
            "organization__region"
        ),
        pk=pk,
    )
    form = ObjectionForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        if form.is_valid() and attempt(
            request,
            lambda: providers.object_to_enrolment(
                request.user, enrolment, text=form.cleaned_data["text"], now=timezone.now()
            ),
            _("异议已提交，科协将核查处理。"),
        ):
            return redirect("vouchers:notice", pk=pk)
    return render(request, "vouchers/notice.html", {"enrolment": enrolment, "form": form})


# --- enterprise -------------------------------------------------------------------------------------------


@login_required
def apply(request, pk: int):
    programme = get_object_or_404(VoucherProgramme.objects.public(), pk=pk)
    enterprises = roles_of(request.user).enterprises
    if not enterprises:
        raise PermissionDenied(_("只有企业成员可以申请创新券。"))
    form = ApplicationForm(request.POST or None, organizations=enterprises)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if attempt(
            request,
            lambda: services.apply_for_vouchers(
                request.user,
                programme,
                organization=data["organization"],
                plan=data["plan"],
                estimated_fee=data["estimated_fee"],
                requested=data["requested"],
                legal_representative=data["legal_representative"],
                now=timezone.now(),
            ),
            _("申请已提交，请等待科协审核。"),
        ):
            return redirect("vouchers:wallet")
    return render(request, "vouchers/apply.html", {"programme": programme, "form": form})


@login_required
def wallet(request):
    """The enterprise's wallet: vouchers (code, face value, balance, expiry, where it can be spent),
    applications and their decisions, orders, and each voucher's history."""
    ids = [o.pk for o in roles_of(request.user).enterprises]
    if not ids:
        raise PermissionDenied(_("只有企业成员有创新券钱包。"))
    vouchers = list(
        Voucher.objects.filter(holder_id__in=ids)
        .select_related("programme__region", "account", "holder")
        .prefetch_related("programme__partner_regions")
        .order_by("status", "expires_at", "pk")
    )
    balances = queries.voucher_balances([v.pk for v in vouchers])
    for voucher in vouchers:
        voucher.balances = balances[voucher.pk]
    holds = (
        VoucherHold.objects.filter(payer_id__in=ids)
        .select_related("voucher", "provider")
        .order_by("-created_at")[:50]
    )
    return render(
        request,
        "vouchers/wallet.html",
        {
            "vouchers": vouchers,
            "applications": VoucherApplication.objects.filter(
                organization_id__in=ids
            ).select_related("programme", "organization"),
            "holds": holds,
            "orders": ServiceOrder.objects.filter(enterprise_id__in=ids)
            .select_related("service_item", "provider", "hold")
            .order_by("-ordered_at")[:50],
            "programmes": VoucherProgramme.objects.filter(
                status=VoucherProgramme.Status.OPEN
            ).select_related("region"),
        },
    )


@login_required
def order_service(request, pk: int):
    """Order a service item paying part with a voucher: the picker lists the vouchers that may pay here,
    and the quote shows the split before the order is placed."""
    item = get_object_or_404(ServiceItem.objects.select_related("provider__region"), pk=pk)
    enterprises = roles_of(request.user).enterprises
    if not enterprises:
        raise PermissionDenied(_("只有企业成员可以下单。"))
    now = timezone.now()
    usable = Voucher.objects.none()
    for enterprise in enterprises:
        usable = usable | payments.usable_vouchers(
            payer_organization=enterprise,
            provider=item.provider,
            item_kind=ItemKind.SERVICE,
            category=item.category,
            now=now,
        )
    usable = usable.select_related("programme", "account")
    form = OrderForm(
        request.POST or None,
        vouchers=usable,
        initial={"fee": item.price, "key": uuid.uuid4().hex},
    )
    quote = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("confirm"):
            if attempt(
                request,
                lambda: redemptions.place_order(
                    request.user,
                    service_item=item,
                    voucher=data["voucher"],
                    fee=data["fee"],
                    note=data["note"],
                    idempotency_key=request.POST.get("key") or uuid.uuid4().hex,
                    now=now,
                ),
                _("订单已提交，创新券支付部分已冻结。"),
            ):
                return redirect("vouchers:wallet")
        else:
            try:
                quote = payments.quote_payment(
                    voucher=data["voucher"],
                    provider=item.provider,
                    item_kind=ItemKind.SERVICE,
                    category=item.category,
                    fee=data["fee"],
                    now=now,
                )
            except Refused as refused:
                messages.error(request, refused.message)
    return render(
        request,
        "vouchers/order.html",
        {
            "item": item,
            "form": form,
            "quote": quote,
            "key": request.POST.get("key") or uuid.uuid4().hex,
            "has_vouchers": usable.exists(),
        },
    )


# --- provider ---------------------------------------------------------------------------------------------


def _institutions(user):
    return [o for o in roles_of(user).organizations if o.kind in PROVIDER_KINDS]


@login_required
def provider_home(request):
    """A provider's page: onboarding (request and status), orders to deliver, settled uses to redeem,
    redemptions and payments."""
    institutions = _institutions(request.user)
    if not institutions:
        raise PermissionDenied(_("只有高校院所、检测机构等服务机构的成员可以使用此页面。"))
    ids = [o.pk for o in institutions]
    enrolments = {
        e.organization_id: e for e in ProviderEnrolment.objects.filter(organization_id__in=ids)
    }
    unenrolled = [
        o
        for o in institutions
        if o.pk not in enrolments or enrolments[o.pk].status == ProviderEnrolment.Status.REJECTED
    ]
    form = EnrolmentForm(request.POST or None, organizations=unenrolled)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if attempt(
            request,
            lambda: providers.request_enrolment(
                request.user,
                data["organization"],
                self_assessment=data["self_assessment"],
                qualifications=data["qualifications"],
                legal_representative=data["legal_representative"],
                phone=data["phone"],
                now=timezone.now(),
            ),
            _("入库申请已提交，请等待科协审核。"),
        ):
            return redirect("vouchers:provider")
    redeemable = (
        VoucherHold.objects.filter(
            provider_id__in=ids,
            status=VoucherHold.Status.SETTLED,
            settled_amount__gt=0,
            redemption__isnull=True,
        )
        .select_related("voucher", "payer")
        .order_by("-closed_at")
    )
    return render(
        request,
        "vouchers/provider.html",
        {
            "institutions": institutions,
            "enrolments": list(enrolments.values()),
            "form": form if unenrolled else None,
            "orders": ServiceOrder.objects.filter(
                provider_id__in=ids, status=ServiceOrder.Status.PLACED
            ).select_related("service_item", "enterprise", "hold"),
            "redeemable": redeemable[:50],
            "redemptions": Redemption.objects.filter(provider_id__in=ids)
            .select_related("hold__voucher", "hold__payer", "batch")
            .order_by("-submitted_at")[:50],
            "deliver_form": DeliverForm(),
        },
    )


@login_required
@require_POST
def deliver(request, pk: int):
    order = get_object_or_404(ServiceOrder.objects.select_related("hold"), pk=pk)
    form = DeliverForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写实际费用。"))
    else:
        attempt(
            request,
            lambda: redemptions.deliver_order(
                request.user, order, actual_fee=form.cleaned_data["actual_fee"], now=timezone.now()
            ),
            _("已确认交付，可以申请兑付。"),
        )
    return redirect("vouchers:provider")


@login_required
@require_POST
def cancel_order(request, pk: int):
    order = get_object_or_404(ServiceOrder.objects.select_related("hold"), pk=pk)
    attempt(
        request,
        lambda: redemptions.cancel_order(request.user, order, now=timezone.now()),
        _("订单已取消，创新券冻结金额已退回。"),
    )
    return redirect(request.POST.get("next") or "vouchers:wallet")


@login_required
def redeem(request, pk: int):
    hold = get_object_or_404(
        VoucherHold.objects.select_related("voucher__programme", "payer", "provider"), pk=pk
    )
    if not acts_for(request.user, hold.provider_id):
        raise PermissionDenied(_("只有服务机构可以申请兑付。"))
    form = RedemptionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            redemption = redemptions.submit_redemption(
                request.user, hold, files=form.cleaned_data, now=timezone.now()
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except Refused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("兑付申请已提交，由发券区域科协审核。"))
            return redirect(redemption)
    return render(request, "vouchers/redeem.html", {"hold": hold, "form": form})


def _may_see_redemption(user, redemption: Redemption) -> bool:
    """The provider, the operators of the issuing and the provider's regions, auditors, and the operators
    of the holder's region (the pilot indicators count spent vouchers there and link to the redemption)."""
    return (
        acts_for(user, redemption.provider_id)
        or operates(user, redemption.issuing_region)
        or operates(user, redemption.provider_region)
        or operates(user, redemption.hold.voucher.holder.region)
        or may_audit(user)
    )


@login_required
def redemption_detail(request, pk: int):
    redemption = get_object_or_404(
        Redemption.objects.select_related(
            "hold__voucher__programme",
            "hold__voucher__holder__region",
            "hold__payer",
            "provider",
            "issuing_region",
            "provider_region",
            "batch",
        ),
        pk=pk,
    )
    if not _may_see_redemption(request.user, redemption):
        raise PermissionDenied(_("无权查看此兑付申请。"))
    may_decide = (
        operates(request.user, redemption.issuing_region)
        and redemption.status == Redemption.Status.SUBMITTED
    )
    form = RedemptionDecisionForm(request.POST or None)
    if request.method == "POST" and may_decide and form.is_valid():
        data = form.cleaned_data
        if attempt(
            request,
            lambda: redemptions.decide_redemption(
                request.user,
                redemption,
                approve=data["approve"],
                reason=data["reason"],
                override=data["override"],
                now=timezone.now(),
            ),
            _("已审核。"),
        ):
            return redirect(redemption)
    return render(
        request,
        "vouchers/redemption.html",
        {
            "redemption": redemption,
            "form": form if may_decide else None,
            "evidence": redemption.evidence.all(),
        },
    )


@login_required
def evidence_file(request, pk: int, evidence_pk: int):
    redemption = get_object_or_404(
        Redemption.objects.select_related("hold__voucher__holder__region"), pk=pk
    )
    if not _may_see_redemption(request.user, redemption):
        raise PermissionDenied(_("无权查看此材料。"))
    item = get_object_or_404(redemption.evidence, pk=evidence_pk)
    response = HttpResponse(item.file.open("rb").read(), content_type=item.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(item.name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


# --- operator ---------------------------------------------------------------------------------------------


def _require_operator(user):
    if not is_operator(user):
        raise PermissionDenied(_("只有科协工作人员可以使用此页面。"))


@login_required
def manage(request):
    """The operator's voucher desk: programmes, applications, provider onboarding, redemptions,
    settlement batches."""
    _require_operator(request.user)
    regions = managed_regions(request.user)
    return render(
        request,
        "vouchers/manage.html",
        {
            "programmes": VoucherProgramme.objects.filter(region__in=regions).select_related(
                "region"
            ),
            "applications": VoucherApplication.objects.filter(
                programme__region__in=regions, status=VoucherApplication.Status.SUBMITTED
            ).select_related("programme", "organization"),
            "enrolments": ProviderEnrolment.objects.filter(
                organization__region__in=regions,
                status__in=[ProviderEnrolment.Status.SUBMITTED, ProviderEnrolment.Status.NOTICE],
            ).select_related("organization"),
            "objections": EnrolmentObjection.objects.filter(
                enrolment__organization__region__in=regions, upheld__isnull=True
            ).select_related("enrolment__organization"),
            "redemptions": Redemption.objects.filter(
                issuing_region__in=regions, status=Redemption.Status.SUBMITTED
            ).select_related("provider", "hold__payer", "provider_region"),
            "batches": SettlementBatch.objects.filter(region__in=regions)
            .select_related("region")
            .order_by("status", "-month")[:24],
            "decision_form": DecisionForm(),
            "check_form": CheckForm(),
            "paid_form": BatchPaidForm(),
        },
    )


@login_required
def define_programme(request):
    _require_operator(request.user)
    form = ProgrammeForm(request.POST or None, regions=managed_regions(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        partners = data.pop("partner_regions")
        created = []
        if attempt(
            request,
            lambda: created.append(
                services.define_programme(
                    request.user,
                    partner_regions=list(partners),
                    now=timezone.now(),
                    **{k: v for k, v in data.items() if k != "minimum_tier"},
                    minimum_tier=data["minimum_tier"] or "",
                )
            ),
            _("券种方案已发布，预算已划入。"),
        ):
            return redirect(created[0])
    return render(request, "vouchers/programme_form.html", {"form": form})


@login_required
@require_POST
def decide_application(request, pk: int):
    application = get_object_or_404(
        VoucherApplication.objects.select_related("programme__region"), pk=pk
    )
    form = DecisionForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: services.decide_application(
                request.user,
                application,
                granted=form.cleaned_data["granted"],
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            ),
            _("已审核，批准的创新券已发放。"),
        )
    else:
        messages.error(request, _("请填写批准金额。"))
    return redirect("vouchers:manage")


@login_required
@require_POST
def check_enrolment(request, pk: int):
    enrolment = get_object_or_404(
        ProviderEnrolment.objects.select_related("organization__region"), pk=pk
    )
    form = CheckForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: providers.check_enrolment(
                request.user,
                enrolment,
                passed=form.cleaned_data["passed"],
                note=form.cleaned_data["note"],
                now=timezone.now(),
            ),
            _("已审核。"),
        )
    else:
        messages.error(request, _("请选择审核结果。"))
    return redirect("vouchers:manage")


@login_required
@require_POST
def resolve_objection(request, pk: int):
    objection = get_object_or_404(
        EnrolmentObjection.objects.select_related("enrolment__organization__region"), pk=pk
    )
    attempt(
        request,
        lambda: providers.resolve_objection(
            request.user,
            objection,
            upheld=request.POST.get("upheld") == "1",
            resolution=request.POST.get("resolution", ""),
            now=timezone.now(),
        ),
        _("异议已处理。"),
    )
    return redirect("vouchers:manage")


@login_required
@require_POST
def approve_redemptions(request):
    """批量审核: approve the redemptions selected on the review desk at once (a flagged one with the
    written override typed on its row). Each one is approved or refused on its own; the page says how
    many went through and why each other one did not."""
    _require_operator(request.user)
    ids = sorted({int(v) for v in request.POST.getlist("ids") if v.isdigit()})
    if not ids:
        messages.error(request, _("请先勾选要批准的兑付申请。"))
        return redirect("vouchers:manage")
    chosen = [
        r
        for r in Redemption.objects.select_related(
            "hold__voucher", "provider", "issuing_region", "provider_region"
        ).filter(pk__in=ids)
        if operates(request.user, r.issuing_region)
    ]
    overrides = {r.pk: request.POST.get(f"override_{r.pk}", "")[:2000] for r in chosen}
    done = redemptions.approve_redemptions(
        request.user, chosen, overrides=overrides, now=timezone.now()
    )
    if done.approved:
        messages.success(
            request, _("已批准 %(count)d 份兑付申请。") % {"count": len(done.approved)}
        )
    names = {r.pk: r.provider.name for r in chosen}
    for pk, refused in sorted(done.refused.items()):
        messages.error(
            request,
            _("%(provider)s（第 %(pk)d 号）未批准：%(reason)s")
            % {"provider": names[pk], "pk": pk, "reason": refused.message},
        )
    missing = len(ids) - len(chosen)
    if missing:
        messages.error(request, _("%(count)d 份兑付申请不存在或不归您审核。") % {"count": missing})
    return redirect(f"{reverse('vouchers:manage')}#redemptions")


@login_required
@require_POST
def pay_batch(request, pk: int):
    batch = get_object_or_404(SettlementBatch.objects.select_related("region"), pk=pk)
    form = BatchPaidForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: redemptions.mark_batch_paid(
                request.user, batch, reference=form.cleaned_data["reference"], now=timezone.now()
            ),
            _("批次已标记为已支付。"),
        )
    else:
        messages.error(request, _("请填写支付流水号。"))
    return redirect("vouchers:manage")


# --- clearing ---------------------------------------------------------------------------------------------


@login_required
def clearing_index(request):
    if not (is_operator(request.user) or may_audit(request.user)):
        raise PermissionDenied(_("只有科协工作人员与审计人员可以查看清算。"))
    form = ClearingRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = []
        if attempt(
            request,
            lambda: created.append(
                clearing.open_run(
                    request.user,
                    data["federation"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    now=timezone.now(),
                )
            ),
            _("清算期间已建立。"),
        ):
            return redirect(created[0])
    runs = ClearingRun.objects.select_related("federation").order_by("-period_start")
    return render(request, "vouchers/clearing.html", {"runs": runs, "form": form})


def _run_for(request, pk: int) -> ClearingRun:
    run = get_object_or_404(ClearingRun.objects.select_related("federation"), pk=pk)
    if not (clearing.may_run(request.user, run.federation) or may_audit(request.user)):
        raise PermissionDenied(_("只有联盟成员区域的科协与审计人员可以查看此清算。"))
    return run


@login_required
def clearing_run(request, pk: int):
    run = _run_for(request, pk)
    if request.method == "POST" and request.POST.get("close"):
        attempt(
            request,
            lambda: clearing.close_run(request.user, run, now=timezone.now()),
            _("已轧差，结果不再改变。"),
        )
        return redirect(run)
    data = clearing.figures(run)
    names = data["names"]
    gross = [
        [f"{names.get(d, d)}→{names.get(c, c)}", str(a)]
        for (d, c), a in sorted(data["bilateral"].items())
    ]
    positions = [
        [names.get(code, code), str(amount)] for code, amount in sorted(data["positions"].items())
    ]
    return render(
        request,
        "vouchers/clearing_run.html",
        {
            "run": run,
            "bilateral": [
                {"debtor": names.get(d, d), "creditor": names.get(c, c), "amount": a}
                for (d, c), a in sorted(data["bilateral"].items())
            ],
            "positions": [
                {"code": c, "name": names.get(c, c), "amount": a}
                for c, a in sorted(data["positions"].items())
            ],
            "plan": [
                {"payer": names.get(p, p), "payee": names.get(q, q), "amount": a}
                for p, q, a in data["plan"]
            ],
            "gross_chart": gross,
            "position_chart": positions,
            "total": sum(data["positions"].values()),
            "may_close": run.status == ClearingRun.Status.OPEN
            and clearing.may_run(request.user, run.federation),
        },
    )


@login_required
def clearing_statement(request, pk: int, code: str):
    """One region's statement of a run as xlsx (text cells never run as formulas)."""
    run = _run_for(request, pk)
    data = clearing.figures(run)
    if code not in data["names"]:
        raise PermissionDenied(_("该区域不在此联盟中。"))
    content = exports.statement_xlsx(run, code, data)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"clearing-{run.pk}-{code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- audit ------------------------------------------------------------------------------------------------


def _require_auditor(user):
    if not may_audit(user):
        raise PermissionDenied(_("只有审计人员可以查看账务。"))


@login_required
def audit_page(request):
    """The trial balance of the voucher ledger (sums to zero) and the invariant checks."""
    _require_auditor(request.user)
    rows = exports.trial_balance()
    return render(
        request,
        "vouchers/audit.html",
        {
            "rows": rows,
            "total": sum((r["balance"] for r in rows), 0),
            "ledger_problems": violations(),
            "voucher_problems": queries.voucher_violations(),
        },
    )


@login_required
def audit_entries(request):
    """Every voucher ledger entry line as CSV, streamed (formula-like text guarded)."""
    _require_auditor(request.user)
    response = StreamingHttpResponse(exports.entry_rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="voucher-ledger.csv"'
    return response
