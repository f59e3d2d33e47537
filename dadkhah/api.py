"""The REST API (django-ninja); OpenAPI at /api/docs. Routers live with their apps."""

from ninja import NinjaAPI

from dadkhah.records.api import router as records_router

api = NinjaAPI(title="Dadkhah API", version="1", urls_namespace="api")
api.add_router("/", records_router)
