from typing import Any

from django.http import HttpRequest

from dadkhah.accounts.roles import can_edit, can_review, clearance_of, role_of


def clearance(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "role": role_of(user).value,
        "clearance": clearance_of(user),
        "can_edit": can_edit(user),
        "can_review": can_review(user),
    }
