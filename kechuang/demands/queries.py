"""Reads for demand pages, the expert inbox and the operator console: matches with their evidence, the
funnel and stalled engagements."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import Federation, Region
from kechuang.demands.models import Demand, Engagement, MatchType, PoolMember
from kechuang.directory.models import (
    Achievement,
    Expert,
    ExpertWork,
    Instrument,
    Organization,
    ServiceItem,
)
from kechuang.directory.search import region_codes
from kechuang.matching.base import Hit

SCOPES = {
    "own": _("本区域"),
    "federation": _("联盟伙伴区域"),
    "all": _("全部区域"),
}

EVIDENCE_FIELDS = {
    "title": _("标题"),
    "name": _("名称"),
    "keywords": _("关键词"),
    "profile": _("简介"),
    "description": _("描述"),
    "papers": _("论文"),
    "patents": _("专利"),
    "projects": _("项目"),
    "affiliation": _("单位"),
    "main_products": _("主营产品"),
    "patent_number": _("专利号"),
    "model_number": _("规格型号"),
    "manufacturer": _("生产厂商"),
    "context": _("产业链与领域"),
}


def labelled_evidence(hit: Hit) -> list[tuple[str, object]]:
    """The hit's evidence with each field's name in the interface language."""
    return [(str(EVIDENCE_FIELDS.get(ev.field, ev.field)), ev) for ev in hit.evidence]


MATCH_MODELS = {
    MatchType.EXPERT: (Expert, ["region", "affiliation"]),
    MatchType.ACHIEVEMENT: (Achievement, ["region", "owner"]),
    MatchType.ORGANIZATION: (Organization, ["region"]),
    MatchType.INSTRUMENT: (Instrument, ["region", "owner"]),
    MatchType.SERVICE: (ServiceItem, ["region", "provider"]),
}


@dataclass
class Match:
    """A record the search engine found for a demand, with the hit that explains why."""

    type: str
    obj: object
    hit: Hit
    open_engagement: Engagement | None = None
    pool_specialities: str | None = None  # set when the expert is in the chain's engineer pool

    @property
    def type_label(self) -> str:
        return str(MatchType(self.type).label)

    @property
    def terms(self) -> list[str]:
        return sorted({t for ev in self.hit.evidence for t in ev.terms})

    @property
    def evidence(self) -> list[tuple[str, object]]:
        return labelled_evidence(self.hit)


@dataclass
class MatchGroup:
    type: str
    label: str
    matches: list[Match] = field(default_factory=list)


def scope_filters(region: Region, scope: str) -> dict[str, list[str]] | None:
    """Search filters for a scope: the demand's own region (and below), that plus the regions federated
    with it or with a region above it, or everywhere (``None``)."""
    if scope == "all":
        return None
    codes = [region.code]
    if scope == "federation":
        ancestors = region_codes(region)
        partners = Region.objects.filter(
            federations__in=Federation.objects.filter(members__code__in=ancestors)
        ).values_list("code", flat=True)
        codes = sorted({region.code, *partners})
    return {"region": codes}


def _load(hits: list[Hit]) -> list[tuple[Hit, object]]:
    """The published records behind ``hits``, in rank order, one query per type."""
    wanted: dict[str, list[int]] = {}
    for hit in hits:
        kind, _sep, pk = hit.id.partition(":")
        if kind in MATCH_MODELS and pk.isdigit():
            wanted.setdefault(kind, []).append(int(pk))
    loaded: dict[str, dict[int, object]] = {}
    for kind, pks in wanted.items():
        model, related = MATCH_MODELS[kind]
        loaded[kind] = model.objects.published().select_related(*related).in_bulk(pks)
    pairs = []
    for hit in hits:
        kind, _sep, pk = hit.id.partition(":")
        obj = loaded.get(kind, {}).get(int(pk)) if pk.isdigit() else None
        if obj is not None:
            pairs.append((hit, obj))
    return pairs


def demand_matches(
    demand: Demand, scope: str = "own", types: list[str] | None = None, k: int = 5
) -> list[MatchGroup]:
    """The best ``k`` matches of each type for a demand within ``scope``, with evidence, marking those that
    already have an open engagement. The enterprise's own records (and in-house experts) are left out."""
    from kechuang.core.indexing import search

    filters = scope_filters(demand.region, scope if scope in SCOPES else "own")
    open_engagements = (
        {(e.match_type, e.match_id): e for e in demand.engagements.open()} if demand.pk else {}
    )
    pool = pool_specialities(demand)
    groups = []
    for kind in types or list(MatchType.values):
        # diversify=2 caps the enterprise's own records at two, which are then dropped: ask for k + 2;
        # with an engineer pool, ask for more so that the pool's engineers can be put first
        wanted = max(k * 10, 50) if kind == MatchType.EXPERT and pool else k + 2
        hits = search(demand.search_text, types=[kind], filters=filters, k=wanted, diversify=2)
        group = MatchGroup(kind, str(MatchType(kind).label))
        for hit, obj in _load(hits):
            if obj.owner_id == demand.organization_id:
                continue  # a demand is never matched with its own enterprise's resources
            match = Match(kind, obj, hit, open_engagements.get((kind, obj.pk)))
            if kind == MatchType.EXPERT and obj.pk in pool:
                match.pool_specialities = pool[obj.pk]
            group.matches.append(match)
        # the chain's pool engineers first (each part in rank order), then everyone else
        group.matches.sort(key=lambda m: m.pool_specialities is None)
        group.matches = group.matches[:k]
        groups.append(group)
    return groups


def pool_specialities(demand: Demand) -> dict[int, str]:
    """Expert id → specialities for the engineers in the pools of the demand's industry chain in its
    region or a region above it (the engineer cloud: enterprises of the chain match there first)."""
    if not demand.industry_chain_id:
        return {}
    return dict(
        PoolMember.objects.filter(
            pool__industry_chain_id=demand.industry_chain_id,
            pool__region__code__in=region_codes(demand.region),
        ).values_list("expert_id", "specialities")
    )


@dataclass
class PickerOptions:
    """What a picker (of experts or enterprises) lists for form field ``field``: the ticked records first,
    then the search's other hits."""

    field: str
    multiple: bool
    chosen: list
    found: list
    query: str = ""


def picked_experts(
    field_name: str, multiple: bool, selected: list[str], query: str = "", k: int = 8
) -> PickerOptions:
    """The picker's options: the published experts among ``selected`` (ids as submitted; one unless
    ``multiple``), then up to ``k`` others the matching engine finds for ``query`` — by name, affiliation,
    keywords or works."""
    from kechuang.core.indexing import search

    ids = list(dict.fromkeys(int(v) for v in selected if str(v).isdigit()))[:50]
    if not multiple:
        ids = ids[:1]
    published = Expert.objects.published().select_related("affiliation", "region").in_bulk(ids)
    chosen = [published[pk] for pk in ids if pk in published]
    query = query.strip()[:100]
    found = []
    if query:
        hits = search(query, types=[MatchType.EXPERT], k=k + len(chosen))
        found = [obj for _hit, obj in _load(hits) if obj.pk not in published][:k]
    return PickerOptions(field_name, multiple, chosen, found, query)


def picked_enterprises(
    field_name: str, selected: list[str], query: str = "", k: int = 8
) -> PickerOptions:
    """The enterprise picker's options: the published enterprise among ``selected`` (one id as
    submitted), then up to ``k`` others the matching engine finds for ``query`` — by name, products or
    region."""
    from kechuang.core.indexing import search

    enterprises = Organization.objects.published().filter(kind=Organization.Kind.ENTERPRISE)
    ids = [int(v) for v in selected if str(v).isdigit()][:1]
    chosen = list(enterprises.select_related("region").filter(pk__in=ids))
    query = query.strip()[:100]
    found = []
    if query:
        hits = search(
            query,
            types=[MatchType.ORGANIZATION],
            filters={"kind": [Organization.Kind.ENTERPRISE]},
            k=k + len(chosen),
        )
        found = [obj for _hit, obj in _load(hits) if obj.pk not in ids][:k]
    return PickerOptions(field_name, False, chosen, found, query)


def expert_query(expert: Expert) -> str:
    """What an expert's inbox searches with: their keywords, profile and the titles and abstracts of their
    latest works."""
    works = ExpertWork.objects.filter(expert=expert).order_by("-year", "-pk")[:10]
    parts = [" ".join(expert.keywords or []), expert.profile]
    parts += [f"{w.title} {' '.join(w.keywords or [])} {w.abstract}" for w in works]
    return "\n".join(p for p in parts if p)


@dataclass
class InboxItem:
    demand: Demand
    hit: Hit

    @property
    def evidence(self) -> list[tuple[str, object]]:
        return labelled_evidence(self.hit)


def expert_inbox(expert: Expert, user, k: int = 20) -> list[InboxItem]:
    """Published demands that match ``expert``, ranked, restricted to those ``user`` may see."""
    from kechuang.core.indexing import search

    hits = search(expert_query(expert), types=["demand"], k=k * 2)
    pks = [int(h.id.partition(":")[2]) for h in hits if h.id.partition(":")[2].isdigit()]
    visible = (
        Demand.objects.visible_to(user)
        .published()
        .filter(pk__in=pks)
        .select_related("organization", "region", "industry_chain")
        .in_bulk()
    )
    items = []
    for hit in hits:
        pk = hit.id.partition(":")[2]
        demand = visible.get(int(pk)) if pk.isdigit() else None
        if demand is not None:
            items.append(InboxItem(demand, hit))
    return items[:k]


@dataclass
class ProgressStep:
    """One step of a demand's way from its enterprise to a cooperation, as its page shows it: ``state`` is
    ``done``, ``current`` (what happens now, explained in ``note``), ``returned`` (the review sent it
    back) or ``todo``."""

    key: str
    label: str
    state: str = "todo"
    note: str = ""


def demand_progress(demand: Demand) -> list[ProgressStep]:
    """The steps 提交需求 → 科协审核 → 发布并匹配 → 对接 → 达成合作 with the one the demand is at, and what
    happens next there. Engagements count whoever started them (the enterprise or an operator's push)."""
    S = Demand.Status
    steps = [
        ProgressStep("submit", str(_("提交需求"))),
        ProgressStep("review", str(_("科协审核"))),
        ProgressStep("match", str(_("发布并匹配"))),
        ProgressStep("engage", str(_("对接洽谈"))),
        ProgressStep("agree", str(_("达成合作"))),
    ]
    submit, review, match, engage, agree = steps
    if demand.status == S.DRAFT:
        submit.state = "current"
        submit.note = str(_("草稿已保存，其他人还看不到。确认内容后点击“提交审核”。"))
        return steps
    submit.state = "done"
    if demand.status in (S.PENDING, S.RETURNED):
        if demand.status == S.PENDING:
            review.state = "current"
            review.note = str(
                _(
                    "%(region)s科协正在审核。审核通过后需求即公开发布，平台随即匹配专家、成果、机构、仪器和服务，并通知您。"
                )
                % {"region": demand.region.name}
            )
        else:
            review.state = "returned"
            review.note = str(
                _("科协退回了需求：%(reason)s。请按意见修改后再次提交。")
                % {"reason": demand.review_note.rstrip("。.！!；;，, ")}
            )
        return steps
    review.state = "done"
    counts = demand.engagements.aggregate(
        started=Count("pk"),
        open=Count("pk", filter=Q(status__in=Engagement.OPEN_STATUSES)),
        agreed=Count("pk", filter=Q(agreed_at__isnull=False)),
    )
    if counts["agreed"]:
        match.state = engage.state = agree.state = "done"
        agree.note = str(_("已与 %(n)s 方达成合作。") % {"n": counts["agreed"]})
    elif counts["started"]:
        match.state, engage.state = "done", "current"
        engage.note = str(
            _(
                "已发起 %(started)s 项对接，%(open)s 项进行中。对方接受后双方可见联系方式，再约定会谈。"
            )
            % counts
        )
    elif demand.status == S.PUBLISHED:
        match.state = "current"
        match.note = str(
            _(
                "需求已公开。平台按需求内容找到了下方的匹配对象：看看“为什么匹配”，选中合适的发起对接。"
            )
        )
    else:
        match.state = "done"
    return steps


FUNNEL_STAGES = [
    ("demands", _("需求")),
    ("matched", _("已匹配")),
    ("requested", _("已发起对接")),
    ("accepted", _("已接受")),
    ("met", _("已会谈")),
    ("agreed", _("达成合作")),
]


def funnel(regions, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
    """Demands published in ``[start, end)`` in ``regions``, and how many of them reached each stage:
    matched (the platform found at least one match at publication), requested, accepted, met, agreed."""
    demands = Demand.objects.filter(
        region__in=regions, published_at__gte=start, published_at__lt=end
    )
    counts = demands.aggregate(
        demands=Count("pk", distinct=True),
        matched=Count("pk", filter=Q(match_count__gt=0), distinct=True),
        requested=Count("pk", filter=Q(engagements__isnull=False), distinct=True),
        accepted=Count("pk", filter=Q(engagements__accepted_at__isnull=False), distinct=True),
        met=Count("pk", filter=Q(engagements__met_at__isnull=False), distinct=True),
        agreed=Count("pk", filter=Q(engagements__agreed_at__isnull=False), distinct=True),
    )
    return [(key, str(label), counts[key]) for key, label in FUNNEL_STAGES]


def stalled_engagements(regions, now: datetime, days: int = 7):
    """Open engagements in ``regions`` with no change for ``days`` days, oldest first."""
    return (
        Engagement.objects.open()
        .filter(demand__region__in=regions, updated_at__lt=now - timedelta(days=days))
        .select_related("demand__organization", "expert", "provider")
        .order_by("updated_at")
    )
