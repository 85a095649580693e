"""Management pages (``/manage/``): members edit their organisations' records and submit them for review;
operators work through the review queue of their regions.

Views only look records up, parse input, call :mod:`kechuang.directory.services` and render. Records are
looked up through ``editable_by`` / ``managed_by``, so a record the user may not touch is a 404 and
nothing about it is revealed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts.permissions import is_operator, managed_regions, offices_for
from kechuang.core.actions import Refused
from kechuang.core.models import AuditEntry
from kechuang.demands import services as demand_services
from kechuang.demands.models import Demand
from kechuang.directory import services
from kechuang.directory.forms import FORMS
from kechuang.directory.models import Listing, Organization, Status
from kechuang.directory.services import RECORD_TYPES
from kechuang.workbench.sections import workbench_for

PAGE_SIZE = 50
# Record types an organisation owns, listed on its page (the organisation itself is shown on top).
OWNED_TYPES = [name for name in RECORD_TYPES if name != "organization"]


def _model(type_name: str) -> type[Listing]:
    try:
        return RECORD_TYPES[type_name]
    except KeyError:
        raise Http404(_("未知的记录类型")) from None


def _related(model: type[Listing]) -> list[str]:
    """What to join when listing records of ``model``: the region and, where it is a foreign key, the
    owning organisation."""
    return ["region"] + ([model.OWNER_FIELD] if model.OWNER_FIELD != "pk" else [])


def _with_owner_name(record: Listing | Demand) -> Listing | Demand:
    """Attach ``owner_name`` (the owning organisation's name, already joined) for the review rows."""
    owner_field = "organization" if isinstance(record, Demand) else type(record).OWNER_FIELD
    record.owner_name = "" if owner_field == "pk" else str(getattr(record, owner_field) or "")
    return record


def _type_label(model: type[Listing] | type[Demand]) -> str:
    return str(model._meta.verbose_name)


def _error_text(error: ValidationError) -> str:
    return "；".join(error.messages)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """工作台: one section per role the user holds (operator, enterprise, organisation member, expert),
    each with its queues, its latest records and, when empty, the first thing to do."""
    return render(
        request,
        "workbench/dashboard.html",
        {"workbench": workbench_for(request.user), "offices": offices_for(request.user)},
    )


@login_required
def organization(request: HttpRequest, org_id: int) -> HttpResponse:
    """One organisation's records, one record type at a time (``?type=``), paginated."""
    org = get_object_or_404(
        Organization.objects.editable_by(request.user).select_related("region"), pk=org_id
    )
    selected = request.GET.get("type", OWNED_TYPES[0])
    if selected not in OWNED_TYPES:
        raise Http404(_("未知的记录类型"))
    tabs = []
    for name in OWNED_TYPES:
        model = RECORD_TYPES[name]
        count = model.objects.filter(**{model.OWNER_FIELD: org}).count()
        tabs.append({"name": name, "label": _type_label(model), "count": count})
    model = RECORD_TYPES[selected]
    records = (
        model.objects.filter(**{model.OWNER_FIELD: org})
        .select_related("region")
        .order_by("-updated_at", "-pk")
    )
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/organization.html",
        {
            "org": org,
            "tabs": tabs,
            "selected": selected,
            "selected_label": _type_label(model),
            "page": page,
            "submittable": services.SUBMITTABLE,
        },
    )


def _render_form(request, form, record, type_name, org, status=200) -> HttpResponse:
    history = []
    if record.pk is not None:
        history = AuditEntry.objects.filter(
            target_type=record._meta.label_lower, target_id=str(record.pk)
        ).select_related("actor")[:20]
    return render(
        request,
        "workbench/record_form.html",
        {
            "form": form,
            "record": record,
            "type_name": type_name,
            "type_label": _type_label(type(record)),
            "org": org,
            "history": history,
            "submittable": services.SUBMITTABLE,
        },
        status=status,
    )


def _save(request, form, record, type_name, org, success_url: str) -> HttpResponse:
    published_before = record.pk is not None and record.status == Status.PUBLISHED
    if form.is_valid():
        try:
            saved = services.save_record(
                request.user, form.save(commit=False), relations=form.relations()
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            if published_before and saved.status == Status.PENDING:
                messages.warning(
                    request,
                    _(
                        "已保存“%(name)s”。机构名称、类型或统一社会信用代码已修改，"
                        "需经运营方审核后重新发布；审核期间机构暂不公开显示。"
                    )
                    % {"name": saved},
                )
            else:
                messages.success(request, _("已保存“%(name)s”") % {"name": saved})
            return redirect(success_url or reverse("manage:edit", args=[type_name, saved.pk]))
    return _render_form(request, form, record, type_name, org, status=200)


@login_required
def create(request: HttpRequest, org_id: int, type_name: str) -> HttpResponse:
    """A new record owned by the organisation; it starts as a draft."""
    if type_name not in OWNED_TYPES:
        raise Http404(_("未知的记录类型"))
    org = get_object_or_404(
        Organization.objects.editable_by(request.user).select_related("region"), pk=org_id
    )
    model = RECORD_TYPES[type_name]
    record = model(**{model.OWNER_FIELD: org, "region": org.region})
    form_class = FORMS[type_name]
    if request.method == "POST":
        form = form_class(request.POST, instance=record, organization=org)
        return _save(request, form, record, type_name, org, success_url="")
    return _render_form(
        request, form_class(instance=record, organization=org), record, type_name, org
    )


@login_required
def edit(request: HttpRequest, type_name: str, pk: int) -> HttpResponse:
    """Edit a record the user may edit. The status does not change (a published record stays published)."""
    model = _model(type_name)
    record = get_object_or_404(
        model.objects.editable_by(request.user).select_related(*_related(model)), pk=pk
    )
    org = record if isinstance(record, Organization) else getattr(record, model.OWNER_FIELD)
    form_class = FORMS[type_name]
    if request.method == "POST":
        form = form_class(request.POST, instance=record, organization=org)
        return _save(request, form, record, type_name, org, success_url=request.path)
    return _render_form(
        request, form_class(instance=record, organization=org), record, type_name, org
    )


@login_required
@require_POST
def submit(request: HttpRequest, type_name: str, pk: int) -> HttpResponse:
    """提交审核: a draft or returned record goes to the region's operators."""
    model = _model(type_name)
    record = get_object_or_404(model.objects.editable_by(request.user), pk=pk)
    try:
        services.submit(request.user, record)
    except Refused as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已提交审核：%(name)s") % {"name": record})
    return _back(request, reverse("manage:edit", args=[type_name, pk]))


def _require_operator(request: HttpRequest) -> None:
    if not is_operator(request.user):
        raise PermissionDenied(_("只有区域运营人员可以审核"))


# The review queue's tabs: the directory's record types and the enterprises' technical demands, which
# operators approve or return here through :mod:`kechuang.demands.services`.
DEMAND = "demand"
REVIEW_TYPES = [DEMAND, *RECORD_TYPES]


def _review_model(type_name: str) -> type[Listing] | type[Demand]:
    return Demand if type_name == DEMAND else _model(type_name)


def _pending(type_name: str, regions):
    """The pending records of one review type in ``regions``, oldest first, with what a row shows."""
    if type_name == DEMAND:
        return (
            Demand.objects.awaiting_review(regions)
            .select_related("region", "organization")
            .order_by("submitted_at", "pk")
        )
    model = _model(type_name)
    return (
        model.objects.awaiting_review(regions)
        .select_related(*_related(model))
        .order_by("updated_at", "pk")
    )


@login_required
def review(request: HttpRequest) -> HttpResponse:
    """The pending queue of the regions the operator manages: counts per type, oldest first. Each row
    links to the record's page, which the operator may open before it is published."""
    _require_operator(request)
    # ``in_regions`` of the managed regions is ``managed_by``, with the user's mandates read only once.
    regions = managed_regions(request.user)
    tabs = []
    for name in REVIEW_TYPES:
        count = _pending(name, regions).order_by().count()
        tabs.append({"name": name, "label": _type_label(_review_model(name)), "count": count})
    default = next((tab["name"] for tab in tabs if tab["count"]), DEMAND)
    selected = request.GET.get("type", default)
    if selected not in REVIEW_TYPES:
        raise Http404(_("未知的记录类型"))
    model = _review_model(selected)
    page = Paginator(_pending(selected, regions), PAGE_SIZE).get_page(request.GET.get("page"))
    for record in page.object_list:
        _with_owner_name(record)
    return render(
        request,
        "workbench/review.html",
        {
            "tabs": tabs,
            "selected": selected,
            "selected_label": _type_label(model),
            "page": page,
        },
    )


def _decide(request: HttpRequest, type_name: str, pk: int, decide) -> HttpResponse:
    _require_operator(request)
    model = _review_model(type_name)
    related = ["region", "organization"] if model is Demand else _related(model)
    record = get_object_or_404(
        model.objects.managed_by(request.user).select_related(*related), pk=pk
    )
    error = ""
    try:
        record = decide(record)
    except ValidationError as exc:
        error = _error_text(exc)
    except Refused as exc:
        error = exc.message
    except PermissionDenied as exc:
        error = str(exc) or _("无权执行此操作")
    if model is Demand:
        record = Demand.objects.select_related("region", "organization").get(pk=record.pk)
    if request.htmx:
        return render(
            request,
            "workbench/review_row.html",
            {"record": _with_owner_name(record), "type_name": type_name, "error": error},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("“%(name)s”已%(status)s") % {"name": record, "status": record.get_status_display()},
        )
    return redirect(f"{reverse('manage:review')}?type={type_name}")


@login_required
@require_POST
def approve(request: HttpRequest, type_name: str, pk: int) -> HttpResponse:
    """批准发布 one pending record; an htmx request gets the updated queue row back."""
    if type_name == DEMAND:
        return _decide(
            request, type_name, pk, lambda d: demand_services.approve_demand(request.user, d)
        )
    return _decide(request, type_name, pk, lambda r: services.approve(request.user, r))


@login_required
@require_POST
def return_record(request: HttpRequest, type_name: str, pk: int) -> HttpResponse:
    """退回 one pending record with the reason given in the form (required)."""
    reason = request.POST.get("reason", "")
    if type_name == DEMAND:
        return _decide(
            request, type_name, pk, lambda d: demand_services.return_demand(request.user, d, reason)
        )
    return _decide(
        request, type_name, pk, lambda r: services.return_for_revision(request.user, r, reason)
    )
