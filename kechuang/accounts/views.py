"""The language switch: Django's ``set_language``, which also keeps a signed-in user's choice as the
language their notifications and e-mails are written in."""

from django.conf import settings
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from kechuang.accounts.models import User


@require_POST
def set_language(request):
    response = django_set_language(request)
    code = request.POST.get("language")
    if request.user.is_authenticated and code in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(language=code)
    return response
