"""The REST API (django-ninja); OpenAPI at /api/openapi.json, docs at /api/docs.

Routers live with their apps. Writes need a token or a staff session by default
(``accounts.auth.WRITE_AUTH``); read endpoints opt in to anonymous callers. The docs page
loads Swagger UI from ninja's bundled static files, never from a CDN.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import ValidationError

from dadkhah.accounts.auth import WRITE_AUTH
from dadkhah.records.api import router as records_router
from dadkhah.records.claims import RecordError

__all__ = ["api"]

DESCRIPTION = """\
The case record of Dadkhah: sources, people, bodies, posts, places, events and
participations, and the claims (each citing sources) that make up every record.

Authenticate with `Authorization: Bearer <token>` (issue one with `dadkhah token USERNAME`)
or with a staff login session. Without credentials, read endpoints answer with public
material only. Errors are JSON: `{"detail": "...", "field": "..."}`.
"""

api = NinjaAPI(
    title="Dadkhah API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=WRITE_AUTH,
    # "ninja" is in INSTALLED_APPS, so this renders ninja/swagger.html, whose scripts and
    # styles come from ninja/static through django.contrib.staticfiles (WhiteNoise).
    docs=Swagger(settings={"persistAuthorization": False}),
)
api.add_router("/", records_router)


@api.exception_handler(RecordError)
def record_error(request: HttpRequest, exc: RecordError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc), "field": exc.field}, status=422)


# Pydantic names the member of a union that failed ("value" -> "str"); not a field.
_UNION_TAGS = {"str", "int", "float", "bool", "dict", "list", "none"}


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Ninja's 422, in the same shape as the others, the first error named; all listed."""
    errors: list[dict[str, Any]] = list(exc.errors)
    field = ""
    detail = "invalid request"
    if errors:
        first = errors[0]
        loc = list(first.get("loc", ()))
        # ["query", "limit"]; ["body", "payload", "citations", 0, "confidence"]
        skip = 2 if loc[:1] == ["body"] else 1
        # the last field named, and, in a list, where: "claims[1].citations[0].confidence"
        where = ""
        in_list = False
        for part in loc[skip:]:
            if isinstance(part, int):
                where += f"[{part}]"
                in_list = True
            elif isinstance(part, str) and part.isidentifier() and part not in _UNION_TAGS:
                field = part
                where += f".{part}" if where else part
        named = where if in_list else field
        detail = f"{named}: {first.get('msg', 'invalid')}" if field else str(first.get("msg"))
    return api.create_response(
        request, {"detail": detail, "field": field, "errors": errors}, status=422
    )
