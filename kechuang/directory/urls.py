"""Public pages of the resource directory (namespace ``directory``); ``home`` is also the site's root."""

from django.urls import path

from kechuang.directory import views
from kechuang.directory.queries import TYPES

app_name = "directory"

DETAIL_VIEWS = {
    "organization": views.organization_detail,
    "expert": views.expert_detail,
    "achievement": views.achievement_detail,
    "instrument": views.instrument_detail,
    "service": views.service_detail,
    "platform": views.platform_detail,
}

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_all, name="search"),
]
for name, listing in TYPES.items():
    urlpatterns += [
        path(f"{listing.path}/", views.listing_page, {"name": name}, name=f"{name}_list"),
        path(f"{listing.path}/<int:pk>/", DETAIL_VIEWS[name], name=name),
    ]
