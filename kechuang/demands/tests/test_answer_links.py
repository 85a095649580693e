"""Experts without a login answer requests through a single-use, expiring link e-mailed to them: the link
goes out on request or push, the page shows the demand under the disclosure rule, accept and decline run
through the inbox's services, and a used, expired, altered or misdirected link changes nothing. The
link also lets the expert claim their profile with a new account."""

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, connections
from django.utils import timezone

from kechuang.accounts.factories import MembershipFactory, UserFactory
from kechuang.accounts.models import User
from kechuang.core.models import AuditEntry
from kechuang.demands import services
from kechuang.demands.disclosure import Contact, contact_for
from kechuang.demands.factories import EngagementFactory
from kechuang.demands.models import AnswerLink, Engagement, EngagementEvent
from kechuang.directory.factories import ExpertFactory
from kechuang.notifications.models import Notification

S = Engagement.Status
LINK = re.compile(r"https://kc\.example\.cn(/demands/engagements/(\d+)/answer/([\w-]+)/)")
ENTERPRISE_PHONE, ENTERPRISE_EMAIL = "0577-65551234", "wang@motor.example.cn"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://kc.example.cn/"


@pytest.fixture
def zhou(world):
    """An expert imported by a university, with an e-mail address but no account."""
    return ExpertFactory(
        name="周工",
        user=None,
        email="zhou@wzu.example.cn",
        phone="13900000002",
        affiliation=world.expert.affiliation,
        region=world.district,
    )


@pytest.fixture
def requested(world, published_demand, zhou, mailoutbox, django_capture_on_commit_callbacks):
    """The enterprise's request to 周工, and the path of the link e-mailed to him."""
    with django_capture_on_commit_callbacks(execute=True):
        engagement = services.request_engagement(
            world.owner, published_demand, "expert", zhou.pk, "想请教无传感器控制"
        )
    (mail,) = mailoutbox
    path = LINK.search(mail.body).group(1)
    return engagement, path


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


@pytest.mark.parametrize("how", ["request", "push"])
def test_a_request_to_an_expert_without_login_emails_a_link(
    world, published_demand, zhou, how, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        if how == "request":
            engagement = services.request_engagement(
                world.owner, published_demand, "expert", zhou.pk
            )
        else:
            engagement = services.push_match(world.operator, published_demand, "expert", zhou.pk)

    (mail,) = [m for m in mailoutbox if m.to == ["zhou@wzu.example.cn"]]
    assert published_demand.title in mail.subject
    match = LINK.search(mail.body)
    assert int(match.group(2)) == engagement.pk
    token = match.group(3)
    link = AnswerLink.objects.get()
    assert link.engagement == engagement and link.email == "zhou@wzu.example.cn"
    assert link.token_hash == AnswerLink.hash(token) and token not in link.token_hash
    assert link.expires_at == engagement.requested_at + timedelta(days=14)
    assert link.used_at is None
    audit = AuditEntry.objects.get(action="demands.engagement.link")
    assert audit.summary == "zhou@wzu.example.cn" and token not in str(audit.data)


def test_an_expert_without_login_or_email_is_reported_to_operators_and_institution(
    world, published_demand, mailoutbox, django_capture_on_commit_callbacks
):
    nobody = ExpertFactory(name="吴工", user=None, email="", affiliation=world.expert.affiliation)
    keeper = MembershipFactory(organization=nobody.affiliation).user
    with django_capture_on_commit_callbacks(execute=True):
        engagement = services.request_engagement(world.owner, published_demand, "expert", nobody.pk)

    assert not AnswerLink.objects.exists()
    to_operator = Notification.objects.get(recipient=world.operator)
    assert to_operator.event == "demands.engagement.unreachable"
    assert to_operator.url == engagement.get_absolute_url() and "吴工" in to_operator.subject
    to_keeper = Notification.objects.get(recipient=keeper)
    assert to_keeper.event == "demands.engagement.unreachable"
    assert to_keeper.url == nobody.get_absolute_url()
    assert not Notification.objects.filter(recipient=world.owner).exists()


def test_an_expert_with_a_login_gets_no_link(
    world, published_demand, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_engagement(world.owner, published_demand, "expert", world.expert.pk)
    assert not AnswerLink.objects.exists()
    assert [m.to for m in mailoutbox] == [[world.expert_user.email]]


def test_the_page_shows_the_demand_and_hides_the_enterprise_contact(requested, client):
    engagement, path = requested
    response = client.get(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert engagement.demand.title in page and "想请教无传感器控制" in page
    assert ENTERPRISE_PHONE not in page and ENTERPRISE_EMAIL not in page
    assert 'value="accept"' in page
    assert response["Cache-Control"].startswith("max-age=0")
    assert AnswerLink.objects.get().used_at is None  # looking does not use the link


def test_accepting_through_the_link_discloses_and_spends_it(
    world, requested, client, django_capture_on_commit_callbacks
):
    engagement, path = requested
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {"action": "accept"})

    assert response.status_code == 200
    page = response.content.decode()
    assert ENTERPRISE_PHONE in page and ENTERPRISE_EMAIL in page
    engagement.refresh_from_db()
    assert engagement.status == S.ACCEPTED and engagement.accepted_at is not None
    assert AnswerLink.objects.get().used_at is not None
    event = engagement.events.get(status=S.ACCEPTED)
    assert event.actor is None and event.note == "接受对接（邮件链接）"
    audit = AuditEntry.objects.get(action="demands.engagement.accept")
    assert audit.actor is None
    note = Notification.objects.get(recipient=world.owner, event="demands.engagement.accepted")
    assert note.url == engagement.get_absolute_url()


def test_declining_through_the_link_needs_a_reason(requested, client):
    engagement, path = requested
    client.post(path, {"action": "decline", "reason": "  "})
    engagement.refresh_from_db()
    assert engagement.status == S.REQUESTED
    assert AnswerLink.objects.get().used_at is None

    response = client.post(path, {"action": "decline", "reason": "近期出国访学"})

    assert response.status_code == 200
    engagement.refresh_from_db()
    assert engagement.status == S.DECLINED and engagement.decline_reason == "近期出国访学"
    assert ENTERPRISE_PHONE not in response.content.decode()


def test_a_used_link_is_refused(requested, client):
    engagement, path = requested
    client.post(path, {"action": "accept"})
    events = EngagementEvent.objects.count()

    again = client.post(path, {"action": "decline", "reason": "改变主意"})
    page = client.get(path)

    assert again.status_code == 410 and page.status_code == 410
    assert "此链接已使用" in page.content.decode()
    assert ENTERPRISE_PHONE not in page.content.decode()
    engagement.refresh_from_db()
    assert engagement.status == S.ACCEPTED and EngagementEvent.objects.count() == events
    with pytest.raises(services.Refused):
        services.decline_engagement(None, engagement, "改变主意", AnswerLink.objects.get())


def test_an_expired_link_is_refused(requested, client):
    engagement, path = requested
    AnswerLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    page = client.get(path)
    answer = client.post(path, {"action": "accept"})

    assert page.status_code == 410 and "此链接已过期" in page.content.decode()
    assert answer.status_code == 410
    engagement.refresh_from_db()
    assert engagement.status == S.REQUESTED and engagement.accepted_at is None
    assert AnswerLink.objects.get().used_at is None


def test_a_link_of_another_engagement_is_refused(world, requested, zhou, client):
    engagement, path = requested
    other = EngagementFactory(expert=zhou, match_id=zhou.pk)
    wrong = path.replace(f"/engagements/{engagement.pk}/", f"/engagements/{other.pk}/")

    assert client.get(wrong).status_code == 404
    assert client.post(wrong, {"action": "accept"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.accept_engagement(None, other, AnswerLink.objects.get())
    other.refresh_from_db()
    assert other.status == S.REQUESTED
    assert AnswerLink.objects.get().used_at is None


@pytest.mark.parametrize(
    "alter",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t[:20],
        lambda t: t + "x",
    ],
    ids=["changed", "truncated", "extended"],
)
def test_an_altered_token_is_refused(requested, client, alter):
    engagement, path = requested
    token = token_of(path)
    tampered = path.replace(token, alter(token))

    assert client.get(tampered).status_code == 404
    assert client.post(tampered, {"action": "accept"}).status_code == 404
    engagement.refresh_from_db()
    assert engagement.status == S.REQUESTED


def test_a_link_answers_only_for_the_supplier_side(world, requested):
    engagement, _path = requested
    link = AnswerLink.objects.get()
    assert contact_for(link, engagement, "enterprise") is None
    assert contact_for(link, engagement, "supplier") == Contact(
        "周工", "13900000002", "zhou@wzu.example.cn"
    )
    other = EngagementFactory()
    assert contact_for(link, other, "supplier") is None

    engagement = services.accept_engagement(None, engagement, link)

    assert contact_for(link, engagement, "enterprise") == Contact(
        "王工", ENTERPRISE_PHONE, ENTERPRISE_EMAIL
    )
    assert contact_for(link, other, "enterprise") is None


def test_without_a_link_anonymous_cannot_answer(requested):
    engagement, _path = requested
    with pytest.raises(PermissionDenied):
        services.accept_engagement(None, engagement)
    engagement.refresh_from_db()
    assert engagement.status == S.REQUESTED


def _race(*actions) -> list[str]:
    """Run ``actions`` at once from threads with their own connections; returns their outcomes."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action):
        barrier.wait()
        try:
            outcomes.append(action())
        except (services.Refused, PermissionDenied):
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def _link_for(engagement: Engagement) -> AnswerLink:
    return AnswerLink.objects.create(
        engagement=engagement,
        email="zhou@wzu.example.cn",
        token_hash=AnswerLink.hash(f"race-{engagement.pk}"),
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )


@pytest.mark.postgres_race
@pytest.mark.django_db(transaction=True)
def test_accepting_by_link_racing_expiry_ends_in_one_state(world, published_demand, zhou):
    if connection.vendor != "postgresql":
        pytest.skip("races need real concurrent connections (PostgreSQL)")
    now = datetime.now(UTC)
    for round_ in range(5):
        e = EngagementFactory(
            demand=published_demand,
            expert=zhou,
            match_id=zhou.pk,
            requested_at=now - timedelta(days=30),
        )
        link = _link_for(e)

        def accept(e=e, link=link):
            services.accept_engagement(None, e, link)
            return "accepted"

        outcomes = _race(accept, lambda: f"expired:{services.expire_stale_engagements(now)}")

        e.refresh_from_db()
        link.refresh_from_db()
        assert outcomes in (["accepted", "expired:0"], ["expired:1", "refused"]), round_
        assert e.status == (S.ACCEPTED if "accepted" in outcomes else S.EXPIRED)
        assert (link.used_at is not None) == (e.status == S.ACCEPTED)
        transitions = list(e.events.values_list("status", flat=True))
        assert transitions == [e.status]
        e.delete()


@pytest.mark.postgres_race
@pytest.mark.django_db(transaction=True)
def test_one_link_answers_once_when_two_answers_race(world, published_demand, zhou):
    if connection.vendor != "postgresql":
        pytest.skip("races need real concurrent connections (PostgreSQL)")
    for round_ in range(5):
        e = EngagementFactory(demand=published_demand, expert=zhou, match_id=zhou.pk)
        link = _link_for(e)

        def accept(e=e, link=link):
            services.accept_engagement(None, e, link)
            return "accepted"

        def decline(e=e, link=link):
            services.decline_engagement(None, e, "没时间", link)
            return "declined"

        outcomes = _race(accept, decline)

        e.refresh_from_db()
        assert outcomes in (["accepted", "refused"], ["declined", "refused"]), round_
        assert e.status in (S.ACCEPTED, S.DECLINED) and e.status in outcomes
        assert list(e.events.values_list("status", flat=True)) == [e.status]
        e.delete()


PASSWORD = "Zhou-2026-motor!"


def test_claiming_the_profile_creates_an_account_and_spends_the_link(requested, zhou, client):
    engagement, path = requested
    response = client.post(path, {"action": "claim", "password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302 and response["Location"] == engagement.get_absolute_url()
    zhou.refresh_from_db()
    user = zhou.user
    assert user.username == "zhou@wzu.example.cn" and user.email == "zhou@wzu.example.cn"
    assert user.display_name == "周工" and user.check_password(PASSWORD)
    assert AnswerLink.objects.get().used_at is not None
    assert AuditEntry.objects.get(action="demands.expert.claim").actor == user
    # signed in, he answers in the inbox like any expert
    page = client.get(engagement.get_absolute_url()).content.decode()
    assert 'id="accept"' in page
    inbox = client.get("/demands/inbox/").content.decode()
    assert engagement.demand.title in inbox
    engagement = Engagement.objects.get(pk=engagement.pk)
    assert services.accept_engagement(user, engagement).status == S.ACCEPTED
    assert client.get(path).status_code == 410


@pytest.mark.parametrize(
    ("password1", "password2"),
    [(PASSWORD, PASSWORD + "x"), ("123", "123"), ("zhou@wzu.example.cn", "zhou@wzu.example.cn")],
    ids=["mismatch", "too-short", "like-the-e-mail"],
)
def test_a_refused_password_claims_nothing(requested, zhou, client, password1, password2):
    _engagement, path = requested
    response = client.post(
        path, {"action": "claim", "password1": password1, "password2": password2}
    )
    assert response.status_code == 200
    zhou.refresh_from_db()
    assert zhou.user is None and AnswerLink.objects.get().used_at is None
    assert not User.objects.filter(username="zhou@wzu.example.cn").exists()


def test_an_address_with_an_account_or_a_claimed_profile_cannot_claim(
    world, requested, zhou, client
):
    engagement, path = requested
    UserFactory(username="someone", email="ZHOU@wzu.example.cn")
    client.post(path, {"action": "claim", "password1": PASSWORD, "password2": PASSWORD})
    zhou.refresh_from_db()
    assert zhou.user is None and AnswerLink.objects.get().used_at is None

    type(zhou).objects.filter(pk=zhou.pk).update(user=world.outsider)
    User.objects.filter(username="someone").delete()
    with pytest.raises(services.Refused):
        services.claim_expert_profile(AnswerLink.objects.get(), engagement, PASSWORD)
    assert not User.objects.filter(username="zhou@wzu.example.cn").exists()
    assert AnswerLink.objects.get().used_at is None
