"""The voucher part of ``kechuang bench ledger``: sustained voucher uses and redemptions per second, and
the voucher invariants after the run.

Set-up (not timed): two regions of a federation, a programme of the first honouring the second, one
enterprise per client holding one large voucher, four active providers (two per region). Timed:

- **voucher use**: hold the voucher share of a fee and settle it (two ledger entries) — what an order or a
  booking does;
- **redemption**: the issuing region approves a submitted redemption (spent → provider payable, plus the
  inter-region debt when the provider is in the other region, half of them) — the money movement of 兑付,
  with its audit row and the provider's notification, as the decision page does it;
- **batch approval** (批量审核): the same, ``batch`` redemptions per call in one transaction, as the review
  desk's selection does it; reported per call and as redemptions approved per second.

The submitted redemptions are written directly for the set-up: their evidence upload and screening are
not what is measured. Each client approves the redemptions of the uses it made (one enterprise's
voucher), as operators work through different enterprises' claims.
"""

import datetime
import random
import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kechuang.accounts.models import Membership, OperatorMandate
from kechuang.core import audit
from kechuang.core.actions import Refused
from kechuang.core.models import Federation, Region
from kechuang.directory.models import Organization
from kechuang.ledger import services as ledger
from kechuang.ledger.queries import violations
from kechuang.vouchers import accounts, payments, providers, redemptions, services
from kechuang.vouchers.models import Redemption, VoucherHold
from kechuang.vouchers.queries import voucher_violations

FACE = Decimal("1000000")


def _setup(clients: int, now):
    tag = uuid.uuid4().hex[:6]
    User = get_user_model()
    a = Region.objects.create(code=f"9{tag[:5]}"[:6], name="甲区", level=Region.Level.DISTRICT)
    b = Region.objects.create(code=f"8{tag[:5]}"[:6], name="乙市", level=Region.Level.CITY)
    federation = Federation.objects.create(name=f"基准联盟{tag}")
    federation.members.set([a, b])
    operator = User.objects.create(username=f"bench-op-{tag}")
    OperatorMandate.objects.create(user=operator, region=a, office="甲区科协")
    OperatorMandate.objects.create(user=operator, region=b, office="乙市科协")
    programme = services.define_programme(
        operator,
        region=a,
        year=now.year,
        name="基准创新券",
        issuer="甲区科技局",
        budget=FACE * (clients + 1),
        annual_cap=FACE,
        copay_percent=Decimal("50"),
        face_values=[FACE],
        validity_days=365,
        applications_open=now.date() - datetime.timedelta(days=1),
        applications_close=now.date() + datetime.timedelta(days=1),
        partner_regions=[b],
        federation=federation,
        pair_norm=1000,
        now=now,
    )

    def organization(name, kind, region, n):
        org = Organization.objects.create(name=f"{name}{tag}-{n}", kind=kind, region=region)
        user = User.objects.create(username=f"bench-{kind}-{tag}-{n}")
        Membership.objects.create(user=user, organization=org)
        return org, user

    shops = []
    for n, region in enumerate([a, a, b, b]):
        org, user = organization("基准检测中心", Organization.Kind.TESTING, region, n)
        enrolment = providers.request_enrolment(
            user,
            org,
            self_assessment="基准",
            qualifications="CMA",
            legal_representative=f"法人{n}",
            phone=f"0000{n}",
            now=now - datetime.timedelta(days=9),
        )
        providers.check_enrolment(
            operator, enrolment, passed=True, now=now - datetime.timedelta(days=9)
        )
        shops.append((org, user))
    providers.activate_after_notice(now)
    firms = []
    for n in range(clients):
        org, user = organization("基准企业", Organization.Kind.ENTERPRISE, a, n)
        application = services.apply_for_vouchers(
            user,
            programme,
            organization=org,
            plan="基准",
            estimated_fee=FACE * 2,
            requested=FACE,
            now=now,
        )
        services.decide_application(operator, application, granted=FACE, now=now)
        firms.append((org, user, application.vouchers.get()))
    return operator, shops, firms


def run_voucher_bench(
    command, total: int, clients: int, *, batch: int = 20, batches: int = 10
) -> bool:
    """Time voucher uses and redemptions; print the voucher invariants; True when they fail."""
    from django.db import connection

    now = timezone.now()
    parallel = clients if connection.vendor == "postgresql" and clients > 1 else 1
    operator, shops, firms = _setup(parallel, now)
    each = max(total // parallel, 10)

    def use(n):
        _org, user, voucher = firms[n]
        counter = iter(range(10**9))

        def one(rng: random.Random) -> str:
            shop, _ = shops[rng.randrange(len(shops))]
            try:
                hold = payments.hold_payment(
                    user,
                    voucher=voucher,
                    provider=shop,
                    item_kind="service",
                    category="testing",
                    fee=Decimal(rng.randint(100, 5000)),
                    reference="bench",
                    idempotency_key=f"bench-{voucher.pk}-{next(counter)}",
                    now=now,
                )
                payments.settle_payment(user, hold=hold, actual_fee=hold.fee, now=now)
            except Refused as refused:
                return refused.code
            return "ok"

        return one

    command.stdout.write("")
    command.stdout.write(f"innovation vouchers ({connection.vendor}, {parallel} client(s))")
    command.stdout.write(f"{'run':<34}{'ops/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'refused':>9}")
    per_client = {n: use(n) for n in range(parallel)}
    command.report(
        f"voucher use (hold+settle), {parallel}",
        *_threads(command, lambda n, rng: per_client[n](rng), parallel, each),
    )
    # the submitted redemptions of the uses just made (set-up, untimed)
    holds = list(
        VoucherHold.objects.filter(
            status=VoucherHold.Status.SETTLED, settled_amount__gt=0, redemption__isnull=True
        ).select_related("voucher__programme__region", "provider__region")
    )
    a = firms[0][2].programme.region
    client_of = {firm[2].pk: n for n, firm in enumerate(firms)}
    slices = _submitted(holds, a, operator, now, client_of, parallel)
    loaded = _loader()

    def approve(n, rng):
        pk = slices[n].pop() if slices[n] else None
        if pk is None:
            return "none"
        redemption = loaded.get(pk=pk)
        try:
            redemptions.decide_redemption(operator, redemption, approve=True, now=now)
        except Refused as refused:
            return refused.code
        return "ok"

    command.report(f"plain insert, {parallel}", *_threads(command, _insert(operator), parallel, 50))
    command.report(
        f"redemption approval, {parallel}",
        *_threads(command, approve, parallel, max(len(holds) // parallel, 1)),
    )
    # 批量审核: each call approves ``batch`` redemptions of its enterprise in one transaction
    per_client = max(batches, 1) * batch
    batched = _bulk_submitted(firms, shops, a, operator, now, per_client)

    def approve_batch(n, rng):
        chosen, batched[n] = batched[n][:batch], batched[n][batch:]
        if not chosen:
            return "none"
        done = redemptions.approve_redemptions(
            operator, list(loaded.filter(pk__in=chosen)), now=now
        )
        return "ok" if len(done.approved) == len(chosen) else "refused"

    latencies, outcomes, wall = _threads(command, approve_batch, parallel, max(batches, 1))
    command.report(f"batch approval ×{batch}, {parallel} (calls)", latencies, outcomes, wall)
    done = sum(1 for o in outcomes if o == "ok") * batch
    command.stdout.write(f"{'  = redemptions approved/s':<34}{done / wall:>10,.0f}")
    found = violations() + voucher_violations()
    command.stdout.write(f"voucher invariants: {len(found)} violations")
    for line in found[:10]:
        command.stdout.write(f"  {line}")
    return bool(found)


def _loader():
    return Redemption.objects.select_related(
        "hold__voucher", "provider", "issuing_region", "provider_region"
    )


def _insert(operator):
    """The same-run baseline: one plain insert of an audit row per transaction."""

    def insert(n, rng):
        with transaction.atomic():
            audit.record(operator, "bench.insert", operator, str(rng.random()))
        return "ok"

    return insert


def _submitted(holds, region, operator, now, client_of, parallel) -> dict[int, list[int]]:
    """Submitted redemptions of ``holds`` written directly (their evidence upload and screening are not
    what is measured): ``{client: [redemption ids of its enterprise's voucher]}``. Client n approves the
    redemptions of the uses client n made (one enterprise's voucher), as operators work through
    different enterprises' claims at once: an approval locks its voucher's ``spent`` account (a protected
    balance it debits), and two approvals of the same voucher queue there, as they must."""
    member_of = {region.pk: region}
    rows = Redemption.objects.bulk_create(
        [
            Redemption(
                hold=h,
                provider_id=h.provider_id,
                issuing_region=region,
                provider_region=member_of.get(h.provider.region_id, h.provider.region),
                amount=h.settled_amount,
                submitted_by=operator,
                submitted_at=now,
            )
            for h in holds
        ]
    )
    slices: dict[int, list[int]] = {n: [] for n in range(parallel)}
    for h, r in zip(holds, rows, strict=True):
        slices[client_of[h.voucher_id]].append(r.pk)
    return slices


def _bulk_submitted(firms, shops, region, operator, now, each: int) -> dict[int, list[int]]:
    """``each`` settled uses of every client's voucher, written in bulk (one ledger entry per voucher
    moves their sum unspent → spent, as their settlements would have), and their submitted
    redemptions: the work of the batch approvals."""
    uses = []
    for n, (_org, user, voucher) in enumerate(firms):
        for k in range(each):
            shop, _shop_user = shops[k % len(shops)]
            uses.append(
                VoucherHold(
                    voucher=voucher,
                    payer_id=voucher.holder_id,
                    provider=shop,
                    item_kind="service",
                    category="testing",
                    fee=Decimal("200"),
                    amount=Decimal("100"),
                    actual_fee=Decimal("200"),
                    settled_amount=Decimal("100"),
                    status=VoucherHold.Status.SETTLED,
                    reference=f"bench-batch {n}-{k}",
                    idempotency_key=f"bench-batch-{voucher.pk}-{k}",
                    created_by=user,
                    created_at=now,
                    closed_at=now,
                )
            )
    holds = VoucherHold.objects.bulk_create(uses)
    for _org, _user, voucher in firms:
        ledger.transfer(
            voucher.account,
            accounts.account(voucher, accounts.SPENT),
            Decimal("100") * each,
            actor=operator,
            event="bench.settled",
            target=voucher,
            scope=accounts.SCOPE,
        )
    holds = list(
        VoucherHold.objects.filter(pk__in=[h.pk for h in holds]).select_related("provider__region")
    )
    client_of = {firm[2].pk: n for n, firm in enumerate(firms)}
    return _submitted(holds, region, operator, now, client_of, len(firms))


def _threads(command, operation, clients: int, each: int):
    """``operation(client number, rng)`` from ``clients`` clients (threads, or threads in several
    processes with ``--processes``)."""
    return command.clients(lambda rng: operation(rng.number, rng), clients, each)
