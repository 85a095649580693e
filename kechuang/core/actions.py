"""The one shape of a refused action, shared by every app's services.

A service that will not do what was asked raises :class:`Refused` *before or instead of* changing anything
(inside its transaction, so a partial change rolls back). ``message`` is the user-facing reason in the
interface language (Chinese first); ``code`` is a short stable identifier for programs (tests, the API).
"""


class Refused(Exception):
    """A refused action: the message says why; nothing was changed."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)
