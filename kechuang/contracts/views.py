"""Pages of the contract register: the register and review queue, entering and correcting a contract, its
page with the review (认定登记), turnover statistics (public) and the xlsx export."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts.permissions import is_operator, managed_regions, roles_of
from kechuang.contracts import queries, services
from kechuang.contracts.export import to_xlsx
from kechuang.contracts.forms import ContractForm, ReviewForm
from kechuang.contracts.models import ContractAttachment, ContractKind, TechContract
from kechuang.core.actions import Refused
from kechuang.core.feedback import attempt
from kechuang.core.models import Region

PAGE_SIZE = 20  # a phone shows a page in a few screens (compact cards, contracts.css)


def _filtered(request, contracts):
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    text = request.GET.get("q", "").strip()[:50]
    if status in TechContract.Status.values:
        contracts = contracts.filter(status=status)
    if kind in ContractKind.values:
        contracts = contracts.filter(kind=kind)
    if text:
        from django.db.models import Q

        contracts = contracts.filter(
            Q(title__icontains=text)
            | Q(seller_name__icontains=text)
            | Q(buyer_name__icontains=text)
            | Q(number__icontains=text)
        )
    return contracts, {"status": status, "kind": kind, "q": text}


@login_required
def register(request):
    """The contracts the person may read, newest first; operators open on their registration queue."""
    visible = TechContract.objects.visible_to(request.user)
    queue = TechContract.objects.awaiting_review(managed_regions(request.user))
    contracts, filters = _filtered(request, visible)
    if request.GET.get("queue") and is_operator(request.user):
        contracts = queue
    page = Paginator(
        contracts.select_related("seller_region", "buyer_region").order_by("-pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/register.html",
        {
            "page": page,
            "filters": filters,
            "queue_count": queue.count() if is_operator(request.user) else None,
            "statuses": TechContract.Status.choices,
            "kinds": ContractKind.choices,
            "may_enter": services.may_enter(request.user),
            "in_queue": bool(request.GET.get("queue")),
        },
    )


def _organizations(user) -> list:
    return roles_of(user).organizations


def _save_form(request, form, contract=None):
    """Enter or correct the contract of a valid form (and attach its file) in one transaction; a refusal
    becomes a form error. The contract, or None."""
    from django.db import transaction

    if not (request.method == "POST" and form.is_valid()):
        return None
    try:
        with transaction.atomic():
            data = form.to_input(contract)
            if contract is None:
                contract = services.enter_contract(request.user, data)
            else:
                contract = services.update_contract(request.user, contract, data)
            if form.cleaned_data.get("attachment"):
                services.attach_file(request.user, contract, form.cleaned_data["attachment"])
    except Refused as refused:
        form.add_error(None, refused.message)
        return None
    return contract


@login_required
def create(request):
    if not services.may_enter(request.user):
        raise PermissionDenied
    form = ContractForm(
        request.POST or None, request.FILES or None, organizations=_organizations(request.user)
    )
    contract = _save_form(request, form)
    if contract:
        messages.success(request, _("合同已保存为草稿，核对无误后请提交认定登记"))
        return redirect(contract)
    return render(request, "contracts/form.html", {"form": form, "heading": _("登记技术合同")})


@login_required
def edit(request, pk: int):
    contract = get_object_or_404(TechContract, pk=pk)
    if not services.may_edit(request.user, contract):
        raise PermissionDenied
    platform = contract.source != TechContract.Source.MANUAL
    form = ContractForm(
        request.POST or None,
        request.FILES or None,
        initial=ContractForm.initial_for(contract),
        organizations=() if platform else _organizations(request.user),
        platform_source=platform,
    )
    saved = _save_form(request, form, contract)
    if saved:
        messages.success(request, _("合同已保存"))
        return redirect(saved)
    return render(
        request,
        "contracts/form.html",
        {"form": form, "heading": _("修改技术合同"), "contract": contract},
    )


def _readable(request, pk: int) -> TechContract:
    contract = get_object_or_404(
        TechContract.objects.select_related(
            "seller_region", "buyer_region", "industry_chain", "reviewed_by", "seller", "buyer"
        ),
        pk=pk,
    )
    if not TechContract.objects.visible_to(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    return contract


@login_required
def detail(request, pk: int):
    contract = _readable(request, pk)
    return render(
        request,
        "contracts/detail.html",
        {
            "contract": contract,
            "payments": list(contract.payments.all()),
            "attachments": list(contract.attachments.all()),
            "may_edit": services.may_edit(request.user, contract),
            "may_review": services.may_review(request.user, contract),
            "review_form": ReviewForm(),
        },
    )


@require_POST
@login_required
def submit(request, pk: int):
    contract = _readable(request, pk)
    attempt(request, lambda: services.submit_contract(request.user, contract), _("已提交认定登记"))
    return redirect(contract)


@require_POST
@login_required
def attach(request, pk: int):
    contract = _readable(request, pk)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, _("请选择要上传的文件"))
    else:
        attempt(
            request, lambda: services.attach_file(request.user, contract, uploaded), _("附件已上传")
        )
    return redirect(contract)


@require_POST
@login_required
def review(request, pk: int):
    contract = _readable(request, pk)
    if not services.may_review(request.user, contract):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审核结论"))
        return redirect(contract)
    decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
    if decision == "register":
        action = lambda: services.register_contract(  # noqa: E731
            request.user, contract, attachments_checked=form.cleaned_data["attachments_checked"]
        )
        done = _("合同已登记")
    elif decision == "return":
        action = lambda: services.return_contract(request.user, contract, reason)  # noqa: E731
        done = _("合同已退回补正")
    else:
        action = lambda: services.refuse_contract(request.user, contract, reason)  # noqa: E731
        done = _("合同不予登记")
    attempt(request, action, done)
    return redirect(contract)


@login_required
def attachment(request, pk: int):
    attachment = get_object_or_404(ContractAttachment, pk=pk)
    _readable(request, attachment.contract_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )


def _period(request) -> tuple[date | None, date | None, str]:
    """The period of the statistics: a year (default this one), or explicit start/end dates."""
    year = request.GET.get("year", "")
    try:
        start = date.fromisoformat(request.GET["start"]) if request.GET.get("start") else None
        end = date.fromisoformat(request.GET["end"]) if request.GET.get("end") else None
    except ValueError:
        start = end = None
    if start or end:
        return start, end, ""
    if year == "all":
        return None, None, "all"
    try:
        number = int(year) if year else timezone.localdate().year
        return date(number, 1, 1), date(number, 12, 31), str(number)
    except ValueError:
        number = timezone.localdate().year
        return date(number, 1, 1), date(number, 12, 31), str(number)


def _month_labels(rows: list[list]) -> list[list]:
    """Chart rows keyed "2026-03" relabelled as people read them: "3月", or "2026年3月" across years."""
    years = {label[:4] for label, _amount in rows}
    return [
        [
            _("%(m)s月") % {"m": int(label[5:7])}
            if len(years) == 1
            else _("%(y)s年%(m)s月") % {"y": label[:4], "m": int(label[5:7])},
            amount,
        ]
        for label, amount in rows
    ]


def statistics(request):
    """Technology turnover by region, kind, industry chain and month, and the flows between regions."""
    region = None
    code = request.GET.get("region", "")
    if code:
        region = Region.objects.filter(code=code).first()
    start, end, year = _period(request)
    stats = queries.statistics(region, start, end)
    this_year = timezone.localdate().year
    return render(
        request,
        "contracts/statistics.html",
        {
            "stats": stats,
            "region": region,
            "regions": Region.objects.filter(is_pilot=True).order_by("path"),
            "start": start,
            "end": end,
            "year": year,
            "years": [str(y) for y in range(this_year, this_year - 5, -1)],
            "by_kind_chart": stats.chart(stats.by_kind),
            "by_region_chart": stats.chart(stats.by_region),
            "by_chain_chart": stats.chart(stats.by_chain),
            "by_month_chart": _month_labels(stats.chart(stats.by_month)),
        },
    )


@login_required
def export(request):
    """The register as .xlsx: the contracts the person may read, with the page's filters."""
    contracts, _filters = _filtered(request, TechContract.objects.visible_to(request.user))
    contracts = contracts.select_related(
        "seller_region", "buyer_region", "industry_chain"
    ).order_by("registered_at", "pk")
    response = HttpResponse(
        to_xlsx(contracts),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="tech-contracts-{stamp}.xlsx"'
    return response
