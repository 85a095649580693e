"""How a page reports the outcome of one service call to the person who asked for it."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError

from kechuang.core.actions import Refused


def attempt(request, action: Callable[[], object], success: str = "") -> bool:
    """Run ``action()`` (one service call) for a page. A refusal or invalid input becomes an error message
    on the next page — never an error page — and nothing has changed; otherwise ``success`` (when given) is
    shown. True when the action went through."""
    try:
        action()
    except Refused as refused:
        messages.error(request, refused.message)
        return False
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return False
    if success:
        messages.success(request, success)
    return True
