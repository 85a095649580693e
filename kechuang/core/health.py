"""``GET /healthz``: whether this process can serve, for load balancers and uptime checks.

It checks what every request needs — the database answers a query and the cache stores and reads a value
— and answers 200 ``{"status": "ok", …}`` or 503 with the failing part. No login, no session, no cookie,
never cached, exempt from the HTTPS redirect (a load balancer probes over plain HTTP inside the network).
"""

import time
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone()[0] != 1:
            raise RuntimeError("unexpected answer")


def _cache() -> None:
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("value not read back")
    finally:
        cache.delete(key)


CHECKS = {"database": _database, "cache": _cache}


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as error:  # any failure makes the instance unhealthy; say which and why
            healthy = False
            results[name] = {"ok": False, "error": type(error).__name__}
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    response = JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )
    add_never_cache_headers(response)
    return response
