"""Hardening that applies to every page: private pages are never stored by a browser or a proxy.

A signed-in user's pages can show contact details (a disclosed engagement's phone and e-mail, an
organisation's contacts to its operators, exports): ``Cache-Control: no-store`` keeps them out of shared
caches and out of the browser's disk cache, so the next person at a shared computer cannot read them with
the back button. Anonymous pages (the public directory) stay cacheable. A view that sets its own
Cache-Control keeps it.
"""

from django.utils.cache import add_never_cache_headers


class PrivatePagesNotStoredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path == "/healthz":  # never opens the session
            return response
        if response.has_header("Cache-Control"):  # first: a view that decided needs no session read
            return response
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False):
            add_never_cache_headers(response)
        return response
