"""The search index page (``/manage/search-index/``): for operators, how far the dense vectors are
(records with a vector of all indexed, the rate of the current run and the time it still needs, an htmx
poll that stops when the run ends) and the latest index rebuild (the vocabulary page's fragment)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import is_operator
from kechuang.search import indexing, vocabulary
from kechuang.search.models import EmbeddingRun
from kechuang.search.tasks import has_encoder

# A run whose row has not moved for this long is shown as interrupted (its worker was stopped).
STALLED_SECONDS = 120


def _operator_required(request: HttpRequest) -> None:
    if not is_operator(request.user):
        raise PermissionDenied(_("只有运营人员可以查看检索索引状态。"))


def _vectors_context() -> dict:
    run = EmbeddingRun.objects.first()
    running = run is not None and run.finished_at is None
    stalled = running and (timezone.now() - run.updated_at).total_seconds() > STALLED_SECONDS
    return {
        "encoder": has_encoder(),
        "coverage": indexing.vector_coverage(),
        "run": run,
        "running": running and not stalled,
        "stalled": stalled,
        "per_minute": round(run.rate * 60) if run and run.rate else None,
        "time_left": indexing.duration_text(run.seconds_left)
        if running and run.seconds_left is not None
        else None,
    }


@login_required
def status(request: HttpRequest) -> HttpResponse:
    _operator_required(request)
    return render(
        request,
        "search/search_index/status.html",
        {**_vectors_context(), "rebuild": vocabulary.latest_rebuild()},
    )


@login_required
def vectors(request: HttpRequest) -> HttpResponse:
    """The vector progress fragment the page polls while a run goes on."""
    _operator_required(request)
    return render(request, "search/search_index/_vectors.html", _vectors_context())
