"""Error pages people can act on: 403, 404, 405, 500 and 503, in Chinese first, each saying what to do
next (log in, go back, ask the region's 科协, try again). Wired in :mod:`kechuang.urls` (``handler403`` …),
in settings (``CSRF_FAILURE_VIEW``), for 405 by :class:`MethodNotAllowedPageMiddleware` and for 503 by
:class:`DatabaseUnavailableMiddleware`."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from kechuang.core.access import offices_for

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def _back_url(request: HttpRequest) -> str:
    """The page the person came from, when it is on this site (else empty)."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


def _context(request: HttpRequest) -> dict:
    return {"back_url": _back_url(request), "offices": offices_for(request.user)}


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403: why (the refusal's own message, when the view gave one) and how to get access."""
    reason = exception.args[0] if exception and exception.args else ""
    context = {**_context(request), "reason": str(reason)}
    return render(request, "403.html", context, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 for a form whose security token is missing or stale (a page left open over a log-out, or
    cookies blocked): the same page as any 403, telling the person to reload and submit again."""
    # Django's ``reason`` is technical English for the log; the person gets what to do.
    message = _("页面已过期或浏览器未启用 Cookie，请刷新页面后重新提交。")
    return render(request, "403.html", {**_context(request), "reason": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: the record may be unpublished or gone; search the directory or go back."""
    return render(request, "404.html", _context(request), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: rendered without a request context or database, since either may be what failed."""
    return HttpResponse(loader.get_template("500.html").render(), status=500)


class MethodNotAllowedPageMiddleware:
    """Replace the bare 405 of ``require_POST`` / ``require_http_methods`` (an empty body) with a page that
    explains the address answers a form's button, not a typed or bookmarked link. The ``Allow`` header is
    kept; API responses (with a body of their own) pass through untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            page = render(request, "405.html", _context(request), status=405)
            page["Allow"] = response["Allow"]
            return page
        return response


class DatabaseUnavailableMiddleware:
    """503, not 500, when the database failed under a request: the connection was cut (a restarted or
    failed-over server, a killed backend), a deadlock or lock timeout ended the transaction, SQLite stayed
    locked. The request's transaction was rolled back, so nothing of it was saved and sending it again is
    safe; the page says so, with ``Retry-After``, and the API answers its error body with code
    ``"unavailable"``. Django closes the broken connection at the end of the request, so the next one
    opens a fresh one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable for %s %s", request.method, request.path, exc_info=True)
        detail = _("数据库暂时不可用，您刚才的操作没有保存。请稍后重试。")
        if request.path.startswith("/api/"):
            body = {"code": "unavailable", "detail": detail, "errors": []}
            response = JsonResponse(body, status=503, json_dumps_params={"ensure_ascii": False})
        else:
            response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
