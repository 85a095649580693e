"""URL map: each capability's app brings its own ``urls.py``; the JSON API lives under ``/api/``."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path

from kechuang.accounts.views import set_language
from kechuang.api import api, not_found
from kechuang.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),  # load balancers: database and cache, no session
    # The switch also remembers a signed-in user's language for their notifications.
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", not_found),  # JSON 404 for any other /api/ path
    path("accounts/", include("kechuang.accounts.urls")),
    path("manage/transfer/", include("kechuang.directory.urls_transfer")),
    path("manage/vocabulary/", include("kechuang.search.urls_vocabulary")),
    path("manage/search-index/", include("kechuang.search.urls_search_index")),
    path("manage/clock/", include("kechuang.core.urls_clock")),
    path("manage/audit/", include("kechuang.core.urls_audit")),
    path("manage/", include("kechuang.workbench.urls")),
    path("demands/", include("kechuang.demands.urls")),
    path("challenges/", include("kechuang.challenges.urls")),
    path("indicators/", include("kechuang.indicators.urls")),
    path("contracts/", include("kechuang.contracts.urls")),
    path("auctions/", include("kechuang.auctions.urls")),
    path("booking/", include("kechuang.booking.urls")),
    path("vouchers/", include("kechuang.vouchers.urls")),
    path("notifications/", include("kechuang.notifications.urls")),
    path("privacy/", include("kechuang.privacy.urls")),
    path("open-data/", include("kechuang.opendata.urls")),
    path("", include("kechuang.directory.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Styled, Chinese error pages that say what to do next; 405 is rendered by
# kechuang.core.errors.MethodNotAllowedPageMiddleware.
handler403 = "kechuang.core.errors.permission_denied"
handler404 = "kechuang.core.errors.page_not_found"
handler500 = "kechuang.core.errors.server_error"
