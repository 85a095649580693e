"""The search vocabulary page (``/manage/vocabulary/``): operators maintain the domain dictionary, synonym
groups and stop words, add many at once from a pasted or uploaded list, try how a text is segmented and
expanded (试分词), and follow the index rebuild a change queued (an htmx poll that stops when it ends).

Views parse input, call :mod:`kechuang.search.vocabulary` and render; only operators get in.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts.permissions import is_operator
from kechuang.core.actions import Refused
from kechuang.core.uploads import UnreadableFile
from kechuang.search import vocabulary
from kechuang.search.forms import AnalyzeForm, BulkForm, EntryForm
from kechuang.search.models import VocabularyEntry

PAGE_SIZE = 50
Kind = VocabularyEntry.Kind


def _operator_required(request: HttpRequest) -> None:
    if not is_operator(request.user):
        raise PermissionDenied(_("只有运营人员可以维护检索词表"))


def _kind(value: str | None) -> str:
    return value if value in Kind.values else Kind.TERM


def _page_url(kind: str) -> str:
    return f"{reverse('vocabulary:index')}?kind={kind}"


def _context(request: HttpRequest, kind: str, **forms) -> dict:
    query = request.GET.get("q", "").strip()
    show_inactive = request.GET.get("inactive") == "1"
    entries = VocabularyEntry.objects.filter(kind=kind).select_related(
        "region", "created_by", "deactivated_by"
    )
    if not show_inactive:
        entries = entries.active()
    entries = entries.containing(query)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    manageable = set(
        VocabularyEntry.objects.manageable_by(request.user)
        .filter(pk__in=[entry.pk for entry in page])
        .values_list("pk", flat=True)
    )
    counts = dict(
        VocabularyEntry.objects.active()
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    return {
        "tabs": [
            {"name": name, "label": label, "count": counts.get(name, 0)}
            for name, label in Kind.choices
        ],
        "kind": kind,
        "kind_label": Kind(kind).label,
        "query": query,
        "show_inactive": show_inactive,
        "page": page,
        "manageable": manageable,
        "may_add": vocabulary.may_add(request.user, kind),
        "entry_form": forms.get("entry_form") or EntryForm(initial={"kind": kind}),
        "bulk_form": forms.get("bulk_form") or BulkForm(initial={"kind": kind}),
        "bulk_errors": forms.get("bulk_errors"),
        "analyze_form": forms.get("analyze_form") or AnalyzeForm(),
        "analysis": forms.get("analysis"),
        "rebuild": vocabulary.latest_rebuild(),
    }


def _page(request: HttpRequest, kind: str, status: int = 200, **forms) -> HttpResponse:
    return render(
        request, "search/vocabulary/index.html", _context(request, kind, **forms), status=status
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The list of one kind (``?kind=``) with search (``?q=``), removed entries on ``?inactive=1``."""
    _operator_required(request)
    return _page(request, _kind(request.GET.get("kind")))


@login_required
@require_POST
def add(request: HttpRequest) -> HttpResponse:
    _operator_required(request)
    form = EntryForm(request.POST)
    kind = _kind(request.POST.get("kind"))
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = vocabulary.add_entry(request.user, data["kind"], data["text"], data["note"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("已添加%(kind)s:%(text)s") % {"kind": Kind(kind).label, "text": entry.text},
            )
            return redirect(_page_url(kind))
    return _page(request, kind, status=400, entry_form=form)


@login_required
@require_POST
def bulk_add(request: HttpRequest) -> HttpResponse:
    """Add a pasted or uploaded list, all or nothing; a refused list comes back with a line report."""
    _operator_required(request)
    form = BulkForm(request.POST, request.FILES)
    kind = _kind(request.POST.get("kind"))
    if not form.is_valid():
        return _page(request, kind, status=400, bulk_form=form)
    data = form.cleaned_data
    try:
        lines = vocabulary.read_word_list(data["file"].read() if data["file"] else data["words"])
    except UnreadableFile as error:
        form.add_error("file", str(error))
        return _page(request, kind, status=400, bulk_form=form)
    result = vocabulary.add_entries(request.user, data["kind"], lines, data["note"])
    if not result.ok:
        return _page(request, kind, status=400, bulk_form=form, bulk_errors=result.errors)
    messages.success(
        request,
        _("已添加 %(count)d 条%(kind)s") % {"count": len(result.entries), "kind": Kind(kind).label},
    )
    return redirect(_page_url(kind))


@login_required
@require_POST
def deactivate(request: HttpRequest, entry_id: int) -> HttpResponse:
    _operator_required(request)
    try:
        entry = vocabulary.deactivate(request.user, entry_id)
    except VocabularyEntry.DoesNotExist:
        raise Http404(_("没有找到该条目")) from None
    except Refused as error:
        messages.error(request, error.message)
        return redirect(_page_url(_kind(request.POST.get("kind"))))
    messages.success(
        request,
        _("已删除%(kind)s:%(text)s") % {"kind": entry.get_kind_display(), "text": entry.text},
    )
    return redirect(_page_url(entry.kind))


@login_required
def analyze(request: HttpRequest) -> HttpResponse:
    """试分词: how ``?text=`` is segmented and expanded with the vocabulary in force (a fragment for htmx,
    else the whole page with the result)."""
    _operator_required(request)
    form = AnalyzeForm(request.GET)
    analysis = (
        vocabulary.analyze(request.user, form.cleaned_data["text"]) if form.is_valid() else None
    )
    if request.htmx:
        return render(
            request,
            "search/vocabulary/_analysis.html",
            {"analyze_form": form, "analysis": analysis},
        )
    kind = _kind(request.GET.get("kind"))
    return _page(request, kind, analyze_form=form, analysis=analysis)


@login_required
def rebuild_status(request: HttpRequest) -> HttpResponse:
    """The latest index rebuild's status (the fragment the page polls while it runs)."""
    _operator_required(request)
    return render(
        request, "search/vocabulary/_rebuild.html", {"rebuild": vocabulary.latest_rebuild()}
    )
