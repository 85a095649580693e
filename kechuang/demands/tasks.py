"""Background jobs of demands (Django Tasks)."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from kechuang.demands.models import Demand, Engagement


@task()
def count_matches(demand_id: int) -> int:
    """Count the matches the platform finds for a newly published demand everywhere (up to 10 of each
    type) and store the number on the demand for the funnel's "matched" stage."""
    from kechuang.demands.queries import demand_matches

    demand = Demand.objects.select_related("region").filter(pk=demand_id).first()
    if demand is None:
        return 0
    count = sum(len(group.matches) for group in demand_matches(demand, "all", k=10))
    Demand.objects.filter(pk=demand_id).update(match_count=count)
    return count


@task()
def send_answer_link(engagement_id: int) -> bool:
    """E-mail the expert (without a login) of a waiting request a new single-use link to answer it.
    The token is made here rather than where the request was made, so that it is never stored, not even
    in the task queue. Returns whether a message was handed to the mail backend."""
    from kechuang.demands.services import issue_answer_link

    engagement = (
        Engagement.objects.select_related("demand__organization", "expert")
        .filter(
            pk=engagement_id,
            status=Engagement.Status.REQUESTED,
            expert__user__isnull=True,
            expert__email__gt="",
        )
        .first()
    )
    if engagement is None:
        return False
    link, token = issue_answer_link(engagement)
    url = settings.SITE_URL.rstrip("/") + reverse("demands:answer", args=[engagement.pk, token])
    demand = engagement.demand
    body = _(
        "%(expert)s 您好：\n\n%(org)s 希望就技术需求“%(title)s”与您对接。\n\n%(message)s"
        "请打开下面的链接查看需求并接受或婉拒（无需登录；链接仅可使用一次，%(expires)s 前有效）：\n"
        "%(url)s\n\n接受后即可看到企业的联系方式。"
    ) % {
        "expert": engagement.expert.name,
        "org": demand.organization,
        "title": demand.title,
        "message": f"{engagement.message}\n\n" if engagement.message else "",
        "expires": f"{timezone.localtime(link.expires_at):%Y-%m-%d %H:%M}",
        "url": url,
    }
    subject = _("新的对接请求：%(t)s") % {"t": demand.title}
    return bool(send_mail(subject, body, None, [link.email], fail_silently=True))
