from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kechuang.notifications.models import Notification
from kechuang.notifications.services import mark_read


@login_required
def inbox(request):
    notifications = Notification.objects.for_user(request.user)[:100]
    return render(request, "notifications/inbox.html", {"notifications": notifications})


@require_POST
@login_required
def read(request):
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
    mark_read(request.user, ids or None)
    return redirect("notifications:inbox")
