"""Reads for demand pages, the expert inbox and the operator console: matches with their evidence, the
funnel and stalled engagements."""

import html
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kechuang.core.models import Federation, IndustryChain, Region
from kechuang.core.params import id_params
from kechuang.demands.models import Demand, Engagement, MatchType, PoolMember
from kechuang.directory.models import (
    Achievement,
    Expert,
    ExpertWork,
    Instrument,
    Organization,
    ServiceItem,
)
from kechuang.directory.queries import hit_pk
from kechuang.directory.search import region_codes
from kechuang.matching.base import Evidence, Hit
from kechuang.matching.evidence import (
    STRENGTH_BANDS,
    answering_form,
    band,
    calibrated_strength,
    closest_sentence,
    dense_strength,
    is_key_phrase,
    kind_modifiers,
    phrases_of,
    properties_only,
    written_forms,
)
from kechuang.matching.text import normalize

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
    # an organisation's evidence through its own people and records (see _member_evidence)
    "member_expert": _("本单位专家"),
    "member_achievement": _("本单位成果"),
    "member_service": _("本单位服务"),
    # an instrument or service item found for the tests the demand's problem usually needs
    # (kechuang.matching.testmap): the demand's words that led there, and the tests
    "inferred": _("所述问题常做的检测"),
}


def as_written(hit: Hit, written: Mapping[str, str]) -> Hit:
    """The hit with its evidence's phrases in the form the query writes them (``written``:
    :func:`~kechuang.matching.evidence.written_forms` of it) — EBS where the engine matched ebs — for
    showing; the engine's own forms are for its rules."""
    evidence = [replace(ev, terms=[written.get(t, t) for t in ev.terms]) for ev in hit.evidence]
    return replace(hit, evidence=evidence)


def labelled_evidence(hit: Hit) -> list[tuple[str, object]]:
    """The hit's evidence with each field's name in the interface language."""
    return [(str(EVIDENCE_FIELDS.get(ev.field, ev.field)), ev) for ev in hit.evidence]


# What the match strength means, shown as a legend beside every match list. The bands come from the
# engine (kechuang.matching.evidence.STRENGTH_BANDS): the share of the demand's key technical phrases —
# weighted by how specific each is — that the record answers in its own sentences, mapped for an
# instrument to the experts' scale (kechuang.matching.evidence.STRENGTH_CALIBRATION), or for an expert or
# an achievement the band its dense similarity to the demand reaches (DENSE_CALIBRATION). The meanings say
# how often a match of the band was relevant on the product benchmark (106 demands, experts: 强 100 %,
# 较强 92 %, 一般 52 %; below 一般 19 %).
STRENGTH_LABELS = {
    "strong": _("强"),
    "good": _("较强"),
    "fair": _("一般"),
    "weak": _("较弱"),
}
STRENGTH_MEANINGS = {
    "strong": _("记录回答了需求的大部分关键技术要点，几乎都与需求对口"),
    "good": _("记录回答了需求的多项关键技术要点，约九成与需求对口"),
    "fair": _("记录只回答了需求中的个别要点，约一半与需求对口，请看依据后判断"),
}
STRENGTH_LEGEND = [
    (name, STRENGTH_LABELS[name], STRENGTH_MEANINGS[name]) for _floor, name in STRENGTH_BANDS
]
# Strongest first, as the engine's bands are listed; below the last band, "weak".
BAND_ORDER = {name: i for i, (_floor, name) in enumerate(STRENGTH_BANDS)} | {
    "weak": len(STRENGTH_BANDS)
}
# the records of many sentences, whose evidence may be spread over their papers and patents
FOCUSED_TYPES = frozenset({MatchType.EXPERT, MatchType.ACHIEVEMENT})
AVAILABILITY_ORDER = {
    Expert.Availability.AVAILABLE: 0,
    Expert.Availability.BUSY: 1,
    Expert.Availability.UNAVAILABLE: 2,
}
# Hits read per type whatever k is asked for (the API's largest k): the page reorders them (strength
# band, availability, role, engineer pool) before cutting, so the first k must come from the same pool
# for every k — a pool sized by k let a hit from deeper in a larger pool overtake the first five.
MATCH_POOL = 50


def strength_label(hit: Hit) -> str:
    return str(STRENGTH_LABELS[band(hit.strength)])


MATCH_MODELS = {
    MatchType.EXPERT: (Expert, ["region", "affiliation"]),
    MatchType.ACHIEVEMENT: (Achievement, ["region", "owner"]),
    MatchType.ORGANIZATION: (Organization, ["region"]),
    MatchType.INSTRUMENT: (Instrument, ["region", "owner"]),
    MatchType.SERVICE: (ServiceItem, ["region", "provider"]),
}


class Role:
    """What an organisation can be for a demand: a solver (university, institute, testing body, service
    provider…), another enterprise (a possible partner), or a same-trade enterprise — one of the
    demand's industry chain, usually its competitor, shown for information and never as a solver."""

    SOLVER = "solver"
    ENTERPRISE = "enterprise"
    PEER = "peer"
    ORDER = {SOLVER: 0, ENTERPRISE: 1, PEER: 2}


class ExplainedHit:
    """What a shown hit says about itself: its evidence, strength band and label (``self.hit``)."""

    hit: Hit

    @property
    def evidence(self) -> list[tuple[str, object]]:
        return labelled_evidence(self.hit)

    @property
    def band(self) -> str:
        return band(self.hit.strength)

    @property
    def strength_label(self) -> str:
        return strength_label(self.hit)


@dataclass
class Match(ExplainedHit):
    """A record the search engine found for a demand, with the hit that explains why."""

    type: str
    obj: object
    hit: Hit
    open_engagement: Engagement | None = None
    pool_specialities: str | None = None  # set when the expert is in the chain's engineer pool
    role: str = Role.SOLVER
    # other holders of the same instrument model or providers of the same service item, nearest first:
    # the list shows one line per model or item and names them there
    also: list = field(default_factory=list)
    # the engine's strength before calibration to the experts' scale (``hit.strength`` is calibrated,
    # see kechuang.matching.evidence.calibrated_strength); the product bench reads it
    raw_strength: float | None = None

    @property
    def also_holders(self) -> list[str]:
        # one owner holding two makes of the kind is named once
        return list(dict.fromkeys(f"{getattr(o, o.OWNER_FIELD)}（{o.region}）" for o in self.also))

    @property
    def type_label(self) -> str:
        return str(MatchType(self.type).label)

    @property
    def unavailable(self) -> bool:
        return (
            self.type == MatchType.EXPERT
            and self.obj.availability == Expert.Availability.UNAVAILABLE
        )

    @property
    def terms(self) -> list[str]:
        return sorted({t for ev in self.hit.evidence for t in ev.terms})

    @property
    def focused_strength(self) -> float:
        """What orders an expert or an achievement within its band: its strength times the square root
        of the share of its phrase strength that its best evidence item holds alone (:attr:`Hit.focus`).
        A record one of whose sentences (a paper title, a patent claim) answers three phrases of the
        demand together comes before one answering the same share a word per paper: a reader checks the
        first in ten seconds, and it was on the demand's topic more often (product bench, December
        2026). An instrument, a service item or an organisation is one short text: its strength."""
        raw = self.raw_strength or 0.0
        if self.type not in FOCUSED_TYPES or raw <= 0:
            return self.hit.strength
        return self.hit.strength * (min(self.hit.focus, raw) / raw) ** 0.5

    def sort_key(self) -> tuple:
        """Strength band first, so the shown order follows the shown strength; within a band experts
        who accept work before busy ones, solvers before enterprises, the chain's pool engineers before
        others (a tie-break among equally capable candidates, never a boost), then the finer strength
        (:attr:`focused_strength`) and the engine's order. Below the lowest band the strength says too
        little to order by (a short record — an instrument, a service — answers a phrase or two of any
        long demand): the engine's relevance order stands there."""
        availability = AVAILABILITY_ORDER.get(getattr(self.obj, "availability", None), 0)
        return (
            BAND_ORDER[self.band],
            availability if self.type == MatchType.EXPERT else 0,
            Role.ORDER[self.role],
            self.pool_specialities is None,
            -round(self.focused_strength, 2) if self.band != "weak" else 0.0,
        )


@dataclass
class MatchGroup:
    """One type's matches: those shown (strength 一般 or better, available), the ones folded under
    "更多" (weaker, or an expert not taking work now), and same-trade enterprises shown apart."""

    type: str
    label: str
    matches: list[Match] = field(default_factory=list)
    more: list[Match] = field(default_factory=list)
    peers: list[Match] = field(default_factory=list)


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


def _copy_key(name: str) -> str:
    return normalize(name).replace(" ", "")


def _duplicate_key(kind: str, obj) -> str | None:
    """Records a list shows once: one kind of instrument (its name: two owners' 疲劳试验机 of different
    makes read as the same line twice), one service item or achievement (its title) — the copies
    different owners or imports made of one thing; the line names the other holders."""
    if kind == MatchType.INSTRUMENT:
        return _copy_key(obj.name)
    if kind == MatchType.SERVICE or kind == MatchType.ACHIEVEMENT:
        return _copy_key(obj.title)
    return None


# A list shows one line per instrument kind or service item (see _collapsed), yet the copies of one
# are as near the demand as each other: 39 qPCR instruments filled a pool of MATCH_POOL for a
# shelf-life demand's microbial tests and left out the microbial identifier the same tests call for.
# A capability search reads CAPABILITY_DEPTH × MATCH_POOL hits and keeps COPIES_PER_KIND of each kind.
CAPABILITY_DEPTH = 4
COPIES_PER_KIND = 5


def capability_search(
    query: str, kind: str, filters: dict[str, list[str]] | None, diversify: int | None = None
) -> list[Hit]:
    """:func:`~kechuang.search.indexing.search` of instruments or service items (``kind``) for a
    demand's pool: the best :data:`MATCH_POOL`, at most :data:`COPIES_PER_KIND` of one kind."""
    from kechuang.search.indexing import search

    model, name_field = CAPABILITY_NAMES[kind]
    hits = search(
        query, types=[kind], filters=filters, k=MATCH_POOL * CAPABILITY_DEPTH, diversify=diversify
    )
    names = dict(
        model.objects.filter(pk__in=[hit_pk(hit) for hit in hits]).values_list("pk", name_field)
    )
    per_kind: Counter[str] = Counter()
    kept = []
    for hit in hits:
        key = _copy_key(names.get(hit_pk(hit), ""))
        if per_kind[key] < COPIES_PER_KIND:
            per_kind[key] += 1
            kept.append(hit)
    return kept[:MATCH_POOL]


def _distance(demand: Demand, obj) -> int:
    """How far a record is from the demand: its own region 0, the same city 1, the same province 2,
    elsewhere 3 (region codes: two digits of province, two of city, two of district)."""
    ours, theirs = demand.region.code, obj.region.code if obj.region_id else ""
    for rank, digits in enumerate((6, 4, 2)):
        if theirs[:digits] == ours[:digits]:
            return rank
    return 3


def _collapsed(
    demand: Demand, kind: str, loaded: list[tuple[Hit, object]]
) -> list[tuple[Hit, object, list]]:
    """One entry per instrument model, service item or achievement title: of the copies in the
    strongest band, the nearest to the demand (then the engine's best), at the place of the engine's
    best copy, with the other copies nearest first. A near copy the dense side found without a phrase
    of the demand does not stand for one whose own text answers it (a microbial identifier whose
    description names the tests a shelf-life demand needs)."""
    copies: dict[str, list[int]] = {}
    for i, (_hit, obj) in enumerate(loaded):
        key = _duplicate_key(kind, obj)
        if key is not None:
            copies.setdefault(key, []).append(i)
    result = []
    for i, (hit, obj) in enumerate(loaded):
        key = _duplicate_key(kind, obj)
        if key is None:
            result.append((hit, obj, []))
            continue
        group = copies[key]
        if group[0] != i:
            continue  # listed with the first copy
        ordered = sorted(
            group,
            key=lambda j: (
                BAND_ORDER[band(shown_strength(kind, loaded[j][0]))],
                _distance(demand, loaded[j][1]),
                j,
            ),
        )
        shown = loaded[ordered[0]]
        result.append((*shown, [loaded[j][1] for j in ordered[1:]]))
    return result


def _demand_chains(demand: Demand) -> list[int]:
    """The demand's industry chain, or its own enterprise's chains."""
    if demand.industry_chain_id:
        return [demand.industry_chain_id]
    return list(demand.organization.industry_chains.values_list("pk", flat=True))


def _chain_enterprises(demand: Demand, pks: list[int]) -> set[int]:
    """The enterprises among ``pks`` in the demand's industry chain (or its own enterprise's chains)."""
    chains = _demand_chains(demand) if pks else []
    if not chains:
        return set()
    return set(
        Organization.objects.filter(
            pk__in=pks, kind=Organization.Kind.ENTERPRISE, industry_chains__in=chains
        ).values_list("pk", flat=True)
    )


# The field naming what a capability record is: an instrument's name says what it tests or measures
# (盐雾腐蚀试验箱, 电池充放电测试系统), a service item's title its scope.
CAPABILITY_NAMES = {
    MatchType.INSTRUMENT: (Instrument, "name"),
    MatchType.SERVICE: (ServiceItem, "title"),
}
_NAME_VOCABULARY: dict[str, tuple[tuple, frozenset[str]]] = {}
# An instrument's description says what it is for after 用于 (用于皮革六价铬、水质指标与药物含量测定): as much
# what it is as its name, and more than the samples it takes (样品：金属、塑料、橡胶).
USE_STATEMENT = re.compile(r"用于([^。；;]+)")


def use_statements(text: str) -> list[str]:
    """The 用于 clauses of a record's description."""
    return USE_STATEMENT.findall(text or "")


def name_vocabulary(kind: str) -> frozenset[str]:
    """The key phrases of the names (and an instrument's use statements, :data:`USE_STATEMENT`) of
    the published records of a capability type — what records of that type can be asked for — cached
    until a record of the type changes."""
    model, field_name = CAPABILITY_NAMES[kind]
    records = model.objects.published()
    stamp = (
        records.count(),
        records.order_by("-updated_at").values_list("updated_at", flat=True)[:1].first(),
    )
    cached = _NAME_VOCABULARY.get(kind)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    from kechuang.matching.evidence import phrases_of
    from kechuang.search.indexing import current_analyzer

    analyzer = current_analyzer()
    names = set(records.values_list(field_name, flat=True).distinct())
    if kind == MatchType.INSTRUMENT:
        for description in records.values_list("description", flat=True).distinct():
            names.update(use_statements(description))
    # and the phrase of a name's word of its kind (注塑 of 注塑模流分析): a demand asks for it so
    words = frozenset(
        form
        for name in names
        for word in phrases_of(analyzer, name)
        for form in (word, *kind_modifiers(word))
        if is_key_phrase(form, analyzer.stopwords)
    )
    _NAME_VOCABULARY[kind] = (stamp, words)
    return words


def capability_need(kind: str, text: str, analyzer=None) -> tuple[str, float]:
    """What a demand asks of a capability type: its key phrases that name something records of the
    type are (an instrument's test or measurand, a service's scope) — 电池, 盐雾, 疲劳 — or ``""``
    for another type or a demand that names none — and the share of the demand it is (by count of
    its key phrases, of at most :data:`~kechuang.matching.evidence.FULL_MATCH_PHRASES`; square root).
    Searched apart from the whole demand, a short record
    is measured against what a record of its kind can answer, not against every phrase of a long
    demand (which let the copies of one model that share a common word crowd the pool)."""
    if kind not in CAPABILITY_NAMES:
        return "", 0.0
    from kechuang.matching.evidence import FULL_MATCH_PHRASES, phrases_of
    from kechuang.search.indexing import current_analyzer

    vocabulary = name_vocabulary(kind)
    phrases = phrases_of(analyzer or current_analyzer(), text)
    need = [w for w in phrases if w in vocabulary]
    if not need:
        return "", 0.0
    return " ".join(need), min(1.0, len(need) / min(FULL_MATCH_PHRASES, len(phrases))) ** 0.5


def _terms(hit: Hit) -> list[str]:
    """The demand's phrases a hit's evidence answers."""
    return list(dict.fromkeys(t for ev in hit.evidence for t in ev.terms))


def _named_share(hit: Hit, name_field: str, analyzer=None) -> float:
    """The share of a record's name phrases (count) that the hit's evidence answers in the name: 1 for
    空压机性能试验台 found by 空压机, ¼ for 皮革物理性能与收缩温度检测 found by 温度 — how much of what
    the record is the demand asks for; an instrument's 用于 clause (:func:`use_statements`) counts like
    its name, and the best of them is taken. 0 when neither answers (a word of its samples or specs)."""
    from kechuang.matching.evidence import phrases_of
    from kechuang.search.indexing import current_analyzer

    analyzer = analyzer or current_analyzer()
    best = 0.0
    for ev in hit.evidence:
        text = html.unescape(re.sub(r"<[^>]+>", "", ev.snippet))
        if ev.field == name_field:
            parts = [text]
        elif ev.field == "description" and hit.type == MatchType.INSTRUMENT:
            parts = use_statements(text)  # what it is for, said in its description
        else:
            continue
        answered = set(ev.terms)
        for part in parts:
            words = phrases_of(analyzer, part)
            asked = [w for w in words if answering_form(w, answered) is not None]
            if words and asked:
                best = max(best, min(1.0, len(asked) / len(words)))
    return best


# An instrument or service item found only through the tests a demand's problem usually needs
# (kechuang.matching.testmap) is an inference, not something the demand asked for: at most this strength
# (the share of cues in the demand's key phrases, square root, when it answers every family asked for by
# name), and that times DESCRIBED_ONLY when only its specification or description names the test. Never
# 强 as shown (the ceiling is on the experts' scale, so an instrument's raw one is lower): it answers no
# phrase of the demand itself.
INFERRED_WEIGHT = 0.6
DESCRIBED_ONLY = 0.7
INFERRED_CEILING = 0.45
# A record that shares no material, product or trade word with the demand (a chip failure-analysis
# service for a cracked rubber part) fits the problem's family only in general: half the inferred
# strength, so it is folded under 更多 unless nothing nearer answers (see _in_context).
OFF_CONTEXT = 0.5
# A service item's scope is a trade's (芯片失效分析, 金属材料力学性能检测): a test of the family offered to
# another trade is no answer at all, and keeps only its own strength. On the product benchmark (lexical)
# services P@5 0.743 -> 0.779 on the 106 and 0.553 -> 0.657 held-out, good@5 unchanged; instruments,
# whose tests serve any trade's samples, lost good@5 0.866 -> 0.773 that way and keep the half.
INFERRED_OFF_CONTEXT = {MatchType.INSTRUMENT: OFF_CONTEXT, MatchType.SERVICE: 0.0}
# Only service items that test or develop carry a problem's tests; a consulting, patent, transfer,
# incubation, finance or training item whose text names a test (an innovation-diagnosis offer that
# lists 兼容性测试 among its topics) answers no inferred test and keeps its own strength.
TESTING_CATEGORIES = frozenset({ServiceItem.Category.TESTING, ServiceItem.Category.RND})


def inferred_hits(
    kind: str, text: str, filters: dict[str, list[str]] | None, analyzer=None, title: str = ""
) -> list[Hit]:
    """Instruments or service items (``kind``) for the tests the demand's problem or property usually
    needs when it does not name them (橡胶膜片低温开裂 → 老化、玻璃化、拉伸), each with one more
    evidence item first: the demand's words and the test family they led to. A hit counts only where
    its own text names one of the tests (its evidence, whole words). Strength: see
    :data:`INFERRED_WEIGHT` — the cues' share of the demand (or of its ``title``, where the title names
    the problem: 调节阀空化噪声与冲蚀 is about its 空化 and 噪声 however long the description), the share
    of the families it answers, and whether its name says so."""
    if kind not in CAPABILITY_NAMES:
        return []
    from kechuang.matching.evidence import FULL_MATCH_PHRASES, phrases_of, uncalibrated_strength
    from kechuang.matching.testmap import needs_of
    from kechuang.search.indexing import current_analyzer

    needs = needs_of(text)
    if not needs:
        return []
    analyzer = analyzer or current_analyzer()
    tests = list(dict.fromkeys(t for need in needs for t in need.tests))

    def cue_share(part: str, needs: list) -> float:
        cues = {c for need in needs for c in need.cues}
        phrases = phrases_of(analyzer, part)
        return min(1.0, len(cues) / max(1, min(FULL_MATCH_PHRASES, len(phrases)))) ** 0.5

    share = max(cue_share(text, needs), cue_share(title, needs_of(title)) if title else 0.0)
    # on the shown scale: an instrument's strength is calibrated before it is shown
    ceiling = uncalibrated_strength(kind, INFERRED_CEILING)
    name_field = CAPABILITY_NAMES[kind][1]
    result = []
    for hit in capability_search(" ".join(tests), kind, filters):
        answered = {t for ev in hit.evidence for t in ev.terms}
        met = [need for need in needs if answered & set(need.tests)]
        if not met:
            continue
        named = any(ev.field == name_field and set(ev.terms) & set(tests) for ev in hit.evidence)
        strength = INFERRED_WEIGHT * share * (len(met) / len(needs)) ** 0.5
        strength = min(ceiling, strength * (1.0 if named else DESCRIBED_ONLY))
        note = Evidence(
            field="inferred",
            terms=list(dict.fromkeys(c for need in met for c in need.cues)),
            snippet=html.escape(
                "；".join(
                    f"{need.family.label}（{'、'.join(t for t in need.tests if t in answered)}）"
                    for need in met
                )
            ),
        )
        result.append(replace(hit, strength=strength, evidence=[note, *hit.evidence]))
    return result


def _with_inferred(hits: list[Hit], inferred: list[Hit]) -> tuple[list[Hit], dict[str, float]]:
    """The demand's own hits, then those found only through inferred tests; a record both found keeps
    its own evidence with the inference added, and the larger strength. Also the records whose
    strength the inference raised, with their own strength (0 for those only it found), so that the
    caller can check their context (:func:`_in_context`)."""
    by_id = {hit.id: hit for hit in inferred}
    merged, raised = [], {}
    for hit in hits:
        extra = by_id.get(hit.id)
        if extra is not None and extra.strength > hit.strength:
            raised[hit.id] = hit.strength
            hit = replace(hit, strength=extra.strength, evidence=[*hit.evidence, extra.evidence[0]])
        merged.append(hit)
    seen = {hit.id for hit in hits}
    added = [hit for hit in inferred if hit.id not in seen]
    raised.update((hit.id, 0.0) for hit in added)
    return merged + added, raised


def _context_words(text: str, analyzer) -> frozenset[str]:
    """What a demand is about besides its problem: the index words of its key phrases (sub-words too:
    橡胶 of 氯丁橡胶) that are no cue or test of the test-method map — its material, product, trade."""
    from kechuang.matching.evidence import PROPERTY_WORDS, is_key_phrase
    from kechuang.matching.testmap import load_families

    # nor a quantity every device has (寿命, 温度): a chip's 寿命试验 is not a valve seal's trade
    problem = {w for f in load_families() for w in (*f.cues, *f.tests)} | PROPERTY_WORDS
    return frozenset(
        t
        for t in analyzer.tokens(text)
        if is_key_phrase(t, analyzer.stopwords) and t not in problem
    )


def _trade_words(kind: str, demand: Demand, analyzer) -> frozenset[str]:
    """The demand's context words (:func:`_context_words`) and, for a service item — whose scope is
    a trade's — its industry chain's keywords: a pump-valve maker's 球阀 is in the trade of
    泵阀性能与密封试验, a ready-meal maker's 预制菜 in that of 食品理化与微生物常规检测, though neither
    text writes the other's word. An instrument's samples are named one by one (样品：…), and a
    chain's broad words (汽车零部件, 传感器) would put every instrument of the trade in context."""
    text = demand.search_text
    if kind == MatchType.SERVICE:
        chains = IndustryChain.objects.filter(pk__in=_demand_chains(demand))
        text = "\n".join([text, *chains.values_list("keywords", flat=True)])
    return _context_words(text, analyzer)


def _in_context(
    kind: str,
    loaded: list[tuple[Hit, object]],
    raised: dict[str, float],
    context: frozenset[str],
    analyzer,
) -> list[tuple[Hit, object]]:
    """Records whose strength an inferred test raised keep it only where their own text shares a word
    of the demand's trade (:func:`_trade_words`: the DSC whose samples are 塑料、橡胶 for a cracked
    氯丁橡胶 membrane); elsewhere (a chip failure-analysis service for it) the inference counts at
    :data:`INFERRED_OFF_CONTEXT` of the type, and for a service item outside
    :data:`TESTING_CATEGORIES` not at all."""
    if not raised:
        return loaded
    result = []
    for hit, obj in loaded:
        own = raised.get(hit.id)
        if own is not None:
            if kind == MatchType.SERVICE and obj.category not in TESTING_CATEGORIES:
                hit = replace(hit, strength=own)
            else:
                text = " ".join(
                    str(getattr(obj, f, "") or "") for f in ("name", "title", "description")
                )
                if not context & set(analyzer.tokens(text)):
                    off = INFERRED_OFF_CONTEXT[kind]
                    hit = replace(hit, strength=max(own, hit.strength * off))
        result.append((hit, obj))
    return result


def _merged(hits: list[Hit], focused: list[Hit]) -> tuple[list[Hit], dict[str, float]]:
    """The whole demand's hits, then the focused search's others; a record both found keeps the
    whole demand's evidence and the larger strength. A focused hit's strength is its share of the
    capability need (see :func:`~kechuang.matching.evidence.record_strength`) times the need's share
    of the demand times the share of its name the demand asks for (:func:`_named_share`), so a record
    answering a one-word need of a long demand, or one common word of its name, is not 强. Also the
    records whose strength the focused search raised, with their own (0 for those only it found), for
    :func:`_answers_more`."""
    strength = {hit.id: hit.strength for hit in focused}
    seen = {hit.id for hit in hits}
    merged, raised = [], {}
    for hit in hits:
        lifted = strength.get(hit.id, 0.0)
        if lifted > hit.strength:
            raised[hit.id] = hit.strength
            hit = replace(hit, strength=lifted)
        merged.append(hit)
    added = [hit for hit in focused if hit.id not in seen]
    raised.update((hit.id, 0.0) for hit in added)
    return merged + added, raised


def _answers_more(
    loaded: list[tuple[Hit, object]], raised: dict[str, float], phrases: frozenset[str], analyzer
) -> list[tuple[Hit, object]]:
    """Service items only the focused search found (the whole demand did not) keep its strength only
    where their own text (title, description) holds two key phrases of the demand or more. A service
    item's title lists a scope of several things (皮革物理性能与收缩温度检测, 低压电器性能与寿命试验), so
    one word of it in common (温度 for a motor controller that overheats, 寿命 for a forging die) is a
    coincidence as often as a topic; an instrument's name says what it is (电池充放电测试系统), and one
    word of it can be the whole need. Elsewhere the strength counts at :data:`OFF_CONTEXT`, so the
    record is folded under 更多 unless it was strong."""
    if not raised:
        return loaded
    result = []
    for hit, obj in loaded:
        own = raised.get(hit.id)
        if own == 0.0:
            text = " ".join(
                str(getattr(obj, f, "") or "") for f in ("name", "title", "description")
            )
            if len(phrases & set(analyzer.tokens(text))) < 2:
                hit = replace(hit, strength=max(own, hit.strength * OFF_CONTEXT))
        result.append((hit, obj))
    return result


# What an organisation does: its people, its achievements and the service items it offers. An instrument
# is listed (and booked) in the instrument list with its owner; lending its strength to the owner made
# every lab with a universal testing machine or a climatic chamber a solver for a safety shoe's puncture
# layer or a sole that turns sticky. Lexical product bench, organisations P@5 / good@5: the 106
# 0.901 / 0.962 -> 0.911 / 0.962, held-out 0.81 -> 0.87, blind 0.856 / 0.867 -> 0.876 / 0.933, blind2
# 0.731 / 0.857 -> 0.724 / 0.893, blind3 0.685 -> 0.695 (good@5 0.767 unchanged).
MEMBER_TYPES = (MatchType.EXPERT, MatchType.ACHIEVEMENT, MatchType.SERVICE)
MEMBER_EVIDENCE = 2  # member records quoted per organisation


def _accepts_work(expert: Expert) -> bool:
    return expert.availability != Expert.Availability.UNAVAILABLE


def _with_members(
    loaded: list[tuple[Hit, object]],
    members: dict[str, list[tuple[Hit, object]]],
    own_organization: int | None,
) -> list[tuple[Hit, object]]:
    """Organisation hits answered through their own people and records as well as their own text: an
    institute whose expert, service item or achievement (:data:`MEMBER_TYPES`) answers the demand
    (strength 一般 or better) can do the work, whatever its short profile says. Each organisation's
    strength is the larger of its own and its best member's; the members' evidence (named, strongest
    first) follows its own. Organisations only their members found are added, in the members' order.
    An organisation is what its members make it: never stronger than its strongest answering member or
    its own text."""
    floor = STRENGTH_BANDS[-1][0]
    by_owner: dict[int, list[tuple[str, Hit, object]]] = {}
    for kind in MEMBER_TYPES:
        for hit, obj in members.get(kind, []):
            owner = obj.owner_id
            if owner is None or owner == own_organization or hit.strength < floor:
                continue
            if not any(ev.terms for ev in hit.evidence):
                continue  # only the dense side found it: no phrase a reader could check
            by_owner.setdefault(owner, []).append((kind, hit, obj))
    if not by_owner:
        return loaded

    def quoted_first(member: tuple[str, Hit, object]) -> tuple:
        # members who take work now before those who do not (an organisation is offered as the way to
        # them), strongest first among those
        kind, hit, obj = member
        waiting = kind == MatchType.EXPERT and not _accepts_work(obj)
        return (waiting, -hit.strength)

    def member_evidence(owner: int) -> list[Evidence]:
        # two records of one name (an item offered twice, copies of one achievement) quoted once: the
        # second line would repeat the first
        best, seen = [], set()
        for kind, hit, obj in sorted(by_owner.get(owner, []), key=quoted_first):
            if (kind, str(obj)) not in seen and len(best) < MEMBER_EVIDENCE:
                seen.add((kind, str(obj)))
                best.append((kind, hit, obj))
        items = []
        for kind, hit, obj in best:
            # the record's own sentence, not the note of an inferred test
            ev = next((e for e in hit.evidence if e.field != "inferred"), hit.evidence[0])
            name = html.escape(str(obj))
            if kind == MatchType.EXPERT and not _accepts_work(obj):
                name += html.escape(str(_("（暂不对接）")))
            snippet = f"{name}：{ev.snippet}"
            items.append(Evidence(field=f"member_{kind}", terms=ev.terms, snippet=snippet))
        return items

    def member_strength(owner: int) -> float:
        return max((hit.strength for _k, hit, _o in by_owner.get(owner, [])), default=0.0)

    result = []
    for hit, obj in loaded:
        strength = max(hit.strength, member_strength(obj.pk))
        evidence = [*hit.evidence, *member_evidence(obj.pk)] if obj.pk in by_owner else hit.evidence
        result.append((replace(hit, strength=strength, evidence=evidence), obj))
    known = {obj.pk for _hit, obj in loaded}
    extra = sorted((pk for pk in by_owner if pk not in known), key=lambda pk: -member_strength(pk))
    organizations = Organization.objects.published().select_related("region").in_bulk(extra)
    for pk in extra:
        if pk in organizations:
            hit = Hit(
                id=f"{MatchType.ORGANIZATION.value}:{pk}",
                type=MatchType.ORGANIZATION.value,
                score=0.0,
                evidence=member_evidence(pk),
                strength=member_strength(pk),
            )
            result.append((hit, organizations[pk]))
    return result


def demand_matches(
    demand: Demand, scope: str = "own", types: list[str] | None = None, k: int = 5
) -> list[MatchGroup]:
    """The best ``k`` (at most :data:`MATCH_POOL`) matches of each type for a demand within ``scope``,
    with evidence, marking those that already have an open engagement.

    Guarantees: the first ``k`` shown are the first of any larger ``k`` (one pool of hits, one order);
    the shown order follows the shown strength; the enterprise's own records (and in-house experts),
    hits with no evidence, retired or maintenance instruments and duplicate copies of an instrument
    model, service item or achievement are left out; experts who take no work now and weak matches are
    folded under ``more``; enterprises of the demand's own chain are ``peers``, never solvers; an
    organisation is a solver through its people, achievements and services, not its instruments."""
    from kechuang.search.indexing import current_analyzer, search

    filters = scope_filters(demand.region, scope if scope in SCOPES else "own")
    open_engagements = (
        {(e.match_type, e.match_id): e for e in demand.engagements.open()} if demand.pk else {}
    )
    pool = pool_specialities(demand)
    found: dict[str, list[tuple[Hit, object]]] = {}
    shared: dict[str, object] = {}

    def pool_of(kind: str) -> list[tuple[Hit, object]]:
        # diversify=2: at most two records of one owner while others qualify (the enterprise's own are
        # dropped)
        if kind not in found:
            hits = search(
                demand.search_text, types=[kind], filters=filters, k=MATCH_POOL, diversify=2
            )
            analyzer = None
            if kind in CAPABILITY_NAMES:
                if "analyzer" not in shared:  # built from the vocabulary tables: once per page
                    shared["analyzer"] = current_analyzer()
                    shared["asked"] = phrases_of(shared["analyzer"], demand.search_text)
                analyzer = shared["analyzer"]
            need, share = capability_need(kind, demand.search_text, analyzer)
            lifted: dict[str, float] = {}
            if need:
                focused = search(need, types=[kind], filters=filters, k=MATCH_POOL)
                name_field = CAPABILITY_NAMES[kind][1]
                # only records whose name answers the need: what they are, not a word of their text;
                # nor a quantity alone (温度 of 收缩温度检测) when the demand names something else
                focused = [
                    replace(hit, strength=hit.strength * share * named**0.5)
                    for hit in focused
                    if (named := _named_share(hit, name_field, analyzer)) > 0
                    and not properties_only(_terms(hit), shared["asked"])
                ]
                hits, lifted = _merged(hits, focused)
            if kind in CAPABILITY_NAMES:
                inferred = inferred_hits(kind, demand.search_text, filters, analyzer, demand.title)
                hits, raised = _with_inferred(hits, inferred)
                context = _trade_words(kind, demand, analyzer) if raised else frozenset()
                loaded = _in_context(kind, _load(hits), raised, context, analyzer)
                if kind == MatchType.SERVICE and lifted:
                    loaded = _answers_more(loaded, lifted, frozenset(shared["asked"]), analyzer)
            else:
                loaded = _load(hits)
            # a retired instrument is no capability
            found[kind] = [
                (hit, obj)
                for hit, obj in loaded
                if obj.owner_id != demand.organization_id
                and not (kind == MatchType.INSTRUMENT and obj.state == Instrument.State.RETIRED)
            ]
        return found[kind]

    written = written_forms(current_analyzer(), demand.search_text)  # the phrases as shown
    groups = []
    for kind in types or list(MatchType.values):
        loaded = pool_of(kind)
        if kind == MatchType.ORGANIZATION:
            loaded = _with_members(
                loaded, {k: pool_of(k) for k in MEMBER_TYPES}, demand.organization_id
            )
        peers = (
            _chain_enterprises(demand, [obj.pk for _hit, obj in loaded])
            if kind == MatchType.ORGANIZATION
            else set()
        )
        # matched on generic words or fragments only: nothing a reader could check; retired or
        # maintenance instruments cannot be booked
        loaded = [
            (hit, obj)
            for hit, obj in loaded
            if hit.evidence
            and not (kind == MatchType.INSTRUMENT and obj.state != Instrument.State.AVAILABLE)
        ]
        matches = []
        for hit, obj, also in _collapsed(demand, kind, loaded):
            shown = replace(as_written(hit, written), strength=shown_strength(kind, hit))
            match = Match(
                kind,
                obj,
                shown,
                open_engagements.get((kind, obj.pk)),
                also=also,
                raw_strength=hit.strength,
            )
            if kind == MatchType.EXPERT and obj.pk in pool:
                match.pool_specialities = pool[obj.pk]
            if kind == MatchType.ORGANIZATION and obj.kind == Organization.Kind.ENTERPRISE:
                match.role = Role.PEER if obj.pk in peers else Role.ENTERPRISE
            matches.append(match)
        matches.sort(key=Match.sort_key)  # stable: the engine's order breaks the remaining ties
        group = MatchGroup(kind, str(MatchType(kind).label))
        for match in matches:
            if match.role == Role.PEER:
                group.peers.append(match)
            elif match.band == "weak" or match.unavailable:
                group.more.append(match)
            else:
                group.matches.append(match)
        group.matches, group.more, group.peers = group.matches[:k], group.more[:k], group.peers[:k]
        for match in group.matches + group.more:
            with_nearest_sentence(demand, match)
        groups.append(group)
    return groups


def shown_strength(kind: str, hit: Hit) -> float:
    """A hit's strength on one scale for every type (a band means as likely relevant as an expert of
    that band): its phrase strength (calibrated for the type), or — for a record answering at least
    one phrase of the demand — what its dense similarity to the demand says
    (:func:`~kechuang.matching.evidence.dense_strength`) where that lifts it into a higher band."""
    phrase = calibrated_strength(kind, hit.strength)
    # only a record answering a phrase of the demand: the demand's words and the record's meaning
    # both point to it (a record near in meaning alone was less often relevant)
    dense = (
        dense_strength(str(settings.MATCHING.get("ENCODER", "")), kind, hit.semantic)
        if hit.strength > 0
        else 0.0
    )
    return dense if dense > phrase and band(dense) != band(phrase) else phrase


def with_nearest_sentence(demand: Demand, match: Match) -> None:
    """Where a match's dense similarity lifted its band (:func:`shown_strength`), the record's
    sentence nearest the demand joins its evidence, so the reader sees what it says that is near.
    Called for the matches listed only: reading a record's text costs a query or two."""
    from kechuang.search.indexing import registrations

    hit = match.hit
    lifted = band(hit.strength) != band(calibrated_strength(match.type, match.raw_strength))
    if not lifted or not all(ev.terms for ev in hit.evidence):  # or it shows one already
        return
    document = registrations()[match.type].to_document(match.obj)
    nearest = closest_sentence(document, demand.search_text, hit.evidence)
    if nearest is not None:
        match.hit = replace(hit, evidence=[*hit.evidence, nearest])


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
    from kechuang.search.indexing import search

    ids = list(dict.fromkeys(id_params(selected)))[:50]
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
    from kechuang.search.indexing import search

    enterprises = Organization.objects.published().filter(kind=Organization.Kind.ENTERPRISE)
    ids = id_params(selected)[:1]
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
class InboxItem(ExplainedHit):
    demand: Demand
    hit: Hit

    @property
    def relevant(self) -> bool:
        """Strong enough to show without asking: 一般 or better."""
        return self.band != "weak"


def expert_inbox(expert: Expert, user, k: int = 20) -> list[InboxItem]:
    """Published demands that match ``expert``, restricted to those ``user`` may see, strongest first
    (by strength band, then the engine's order, so the shown order follows the shown strength)."""
    from kechuang.search.indexing import current_analyzer, search

    query = expert_query(expert)
    hits = search(query, types=["demand"], k=k * 2)
    written = written_forms(current_analyzer(), query)
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
            items.append(InboxItem(demand, as_written(hit, written)))
    items.sort(key=lambda item: BAND_ORDER[item.band])
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
        engage.note = (
            ngettext(
                "已发起 %(started)s 项对接，%(open)s 项进行中。对方接受后双方可见联系方式，再约定会谈。",
                "已发起 %(started)s 项对接，%(open)s 项进行中。对方接受后双方可见联系方式，再约定会谈。",
                counts["started"],
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
