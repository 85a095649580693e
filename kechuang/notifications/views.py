from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts.permissions import is_operator
from kechuang.core.params import id_params
from kechuang.notifications.mailbox import read_mailbox
from kechuang.notifications.models import Notification
from kechuang.notifications.services import mark_read


@login_required
def inbox(request):
    notifications = Notification.objects.for_user(request.user)[:100]
    return render(request, "notifications/inbox.html", {"notifications": notifications})


@require_POST
@login_required
def read(request):
    raw = request.POST.getlist("id")
    ids = id_params(raw)
    if ids or not raw:  # no id: all of them; only ids that name nothing: none
        mark_read(request.user, ids or None)
    return redirect("notifications:inbox")


@login_required
def mailbox(request):
    """The demo's local mailbox (e-mails the demo would have sent), for the superuser and operators.
    It exists only in the demo: in production the page is not there at all."""
    if settings.MODE != "demo":
        raise Http404
    if not is_operator(request.user):
        raise PermissionDenied(_("只有管理员和运营人员可以查看演示邮箱。"))
    return render(request, "notifications/mailbox.html", {"messages_": read_mailbox()})
