"""The JSON API (django-ninja), assembled from each app's ``api.py`` router. OpenAPI at ``/api/docs``."""

from ninja import NinjaAPI

from kechuang.challenges.api import router as challenges_router
from kechuang.core.api import router as vocabulary_router
from kechuang.demands.api import router as demands_router
from kechuang.directory.api import router as directory_router

api = NinjaAPI(
    title="Kechuang API",
    version="1",
    description="科创 · 科技经济融通平台 JSON API",
    urls_namespace="api",
)
api.add_router("/directory/", directory_router)
api.add_router("/demands/", demands_router)
api.add_router("/challenges/", challenges_router)
api.add_router("/vocabulary/", vocabulary_router)
