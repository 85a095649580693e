"""Template context every page gets from the accounts app."""

from django.utils.functional import SimpleLazyObject

from kechuang.accounts.permissions import roles_of


def roles(request) -> dict:
    """``roles``: the signed-in person's :class:`~kechuang.accounts.permissions.Roles`, read only when a
    template asks (the header does on every page)."""
    return {"roles": SimpleLazyObject(lambda: roles_of(request.user))}
