"""Chinese text analysis: normalisation, tokenisation, stop words, synonyms and highlighting.

Guarantees: the same text always yields the same tokens for a given configuration; input in traditional
characters or full-width forms yields the tokens of its simplified, half-width form; Latin terms and model
numbers (``SG3525``, ``Pro/TOOLKIT``, ``Ti-6Al-4V``) stay whole tokens (their parts are indexed too); domain
dictionary terms are never split.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import opencc
import rjieba

DATA_DIR = Path(__file__).resolve().parent / "data"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Latin runs with inner punctuation, which the segmenter would split: kept whole as well.
_COMPOUND = re.compile(
    r"(?<![a-z0-9])[a-z0-9]+(?:[./+\-_#][a-z0-9]+)+\+*|(?<![a-z0-9])[a-z0-9]+\+\+"
)
# Every match of _COMPOUND has a letter or digit right before one of its joiners: text without such a
# pair has no compound run, and the (slower) search is skipped.
_COMPOUND_HINT = re.compile(r"[a-z0-9][./+\-_#]")
_SPLIT_SYNONYMS = re.compile(r"[\s,，、]+")

MAX_QUERY_CHARS = 2000  # longer queries are cut: the first 2,000 characters carry the intent
# The segmenter's part-of-speech tags of words that name nothing a record could answer: pronouns (每天,
# 哪里), time words (去年, 今后), adverbs (经常, 再次), conjunctions (还是), locatives (内部, 附近),
# numerals and measure words (一家, 毫米, 公斤), prepositions, particles, interjections, onomatopoeia and
# descriptive words.
FUNCTION_TAGS = frozenset(
    {"r", "t", "d", "ad", "c", "f", "m", "q", "p", "u", "uj", "ul", "ug", "uz", "uv", "ud"}
    | {"y", "e", "o", "z"}
)
# ... counted at least this often in the segmenter's general dictionary: rarer words are often tagged
# wrong (刚度 and 相机 as adverbs, 同步 too at 1,057)
FUNCTION_WORD_FREQUENCY = 2000


def read_word_list(path: str | Path) -> list[str]:
    """Non-empty, non-comment lines of a UTF-8 word list."""
    words = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line)
    return words


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """Full-width → half-width (NFKC), traditional → simplified, lower case."""
    if not text:
        return ""
    return _t2s().convert(unicodedata.normalize("NFKC", text)).lower()


class _FoldedChars(dict):
    """Each character's NFKC form, lower-cased (never empty), keyed by code point and computed once:
    ``str.translate`` table of :func:`normalize_with_offsets`."""

    def __missing__(self, code: int) -> str:
        piece = self[code] = unicodedata.normalize("NFKC", chr(code)).lower()
        return piece


_FOLDED_CHARS = _FoldedChars()


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """:func:`normalize` with the offset in ``text`` of every output character, so that a match in the
    normalised text can be highlighted in the original."""
    folded = text.translate(_FOLDED_CHARS)
    if len(folded) == len(text):  # no piece is empty, so each is one character: offsets are 0, 1, …
        offsets = list(range(len(text)))
    else:
        pieces = [_FOLDED_CHARS[ord(char)] for char in text]
        offsets = [i for i, piece in enumerate(pieces) for _ in piece]
    convert = _t2s().convert
    simplified = convert(folded)
    if len(simplified) != len(folded):  # a phrase conversion changed the length: go char by char
        simplified = "".join(c2 if len(c2 := convert(c)) == 1 else c for c in folded)
    return simplified, offsets


class Analyzer:
    """Turns text into index terms and queries into weighted terms.

    ``dictionary`` adds domain terms to the segmenter, ``synonyms`` are groups of interchangeable terms,
    ``stopwords`` are dropped. All three are normalised like the text itself.
    """

    synonym_weight = 0.6
    hmm = (
        False  # HMM guessing of unknown words: slower, and less consistent between query and record
    )

    def __init__(
        self,
        dictionary: Iterable[str] = (),
        synonyms: Iterable[Sequence[str]] = (),
        stopwords: Iterable[str] = (),
    ) -> None:
        self._jieba = rjieba.Jieba()
        synonyms = [[normalize(w).strip() for w in group if w.strip()] for group in synonyms]
        # Synonyms are dictionary words too, so that each is one token that the others can stand for.
        self.dictionary = sorted(
            {normalize(w).strip() for w in dictionary if w.strip()}
            | {w for g in synonyms for w in g}
        )
        self._domain = frozenset(self.dictionary)
        for word in self.dictionary:
            if _CJK.search(word):
                self._jieba.add_word(word, None, None)
        # Single Latin letters and digits carry no meaning alone (``"a"``, ``"3"`` of ``"3d"`` stays).
        self.stopwords = frozenset(normalize(w).strip() for w in stopwords) | set(
            "abcdefghijklmnopqrstuvwxyz0123456789"
        )
        self.synonyms: dict[str, list[str]] = {}
        for group in synonyms:
            for member in group:
                known = self.synonyms.setdefault(member, [])
                known.extend(o for o in group if o != member and o not in known)

    @classmethod
    def from_files(
        cls,
        dictionary: Sequence[str | Path] = (),
        synonyms: Sequence[str | Path] = (),
        stopwords: Sequence[str | Path] = (),
        extra_dictionary: Iterable[str] = (),
        extra_synonyms: Iterable[Sequence[str]] = (),
        extra_stopwords: Iterable[str] = (),
    ) -> Analyzer:
        """An analyzer configured from word-list files (the shipped defaults when none are given), plus
        extra dictionary words, synonym groups and stop words (the operators' vocabulary)."""
        words = [
            w for p in (dictionary or [DATA_DIR / "dictionary.txt"]) for w in read_word_list(p)
        ]
        groups = [
            [t for t in _SPLIT_SYNONYMS.split(line) if t]
            for p in (synonyms or [DATA_DIR / "synonyms.txt"])
            for line in read_word_list(p)
        ]
        stops = [w for p in (stopwords or [DATA_DIR / "stopwords.txt"]) for w in read_word_list(p)]
        return cls(
            [*words, *extra_dictionary], [*groups, *extra_synonyms], [*stops, *extra_stopwords]
        )

    def _segment(self, normalized: str) -> list[str]:
        """Tokens of already-normalised text: words segmented for search (long words also yield their
        dictionary sub-words) plus each compound Latin run whole (``pro/toolkit`` besides ``pro``,
        ``toolkit``). Punctuation and spaces are dropped."""
        tokens = [t for t in self._jieba.cut_for_search(normalized, self.hmm) if t.isalnum()]
        if _COMPOUND_HINT.search(normalized):
            tokens.extend(_COMPOUND.findall(normalized))
        return tokens

    def words(self, normalized: str) -> list[tuple[str, int, int]]:
        """The whole words of already-normalised text with their character offsets: the segmenter's
        precise cut (no sub-words, so 转向 is not a word of 转向节) plus each compound Latin run whole.
        Evidence matches on these, so a phrase never matches a fragment of a longer word."""
        words = [
            (word, start, end)
            for word, start, end in self._jieba.tokenize(normalized, "default", self.hmm)
            if word.isalnum()
        ]
        if _COMPOUND_HINT.search(normalized):
            words.extend((m.group(), m.start(), m.end()) for m in _COMPOUND.finditer(normalized))
        return words

    def is_noun(self, word: str) -> bool:
        """Whether the segmenter's dictionary tags a (normalised) word as a common noun (系数, 系统,
        工艺 — not 提高, 不足, 等级 of its distinguishing words)."""
        return self._jieba.tag(word, self.hmm) == [(word, "n")]

    def is_function_word(self, word: str) -> bool:
        """Whether a (normalised) word is a word of plain writing that names nothing — its tag is one of
        :data:`FUNCTION_TAGS` and the segmenter's general dictionary counts it at least
        :data:`FUNCTION_WORD_FREQUENCY` times (去年, 每天, 内部, 毫米, 经常). A domain dictionary word,
        a Latin run and a word the segmenter does not know never are."""
        if not _CJK.search(word) or word in self._domain:
            return False
        tags = self._jieba.tag(word, self.hmm)
        return (
            len(tags) == 1
            and tags[0][1] in FUNCTION_TAGS
            and self._jieba.suggest_freq(word) >= FUNCTION_WORD_FREQUENCY
        )

    def has_term(self, word: str) -> bool:
        """Whether a (normalised) word can be an index term: a dictionary word, a word the segmenter
        knows, or a Latin/digit run; a run of lone CJK characters it splits is not."""
        return not _CJK.search(word) or len(word) == 1 or self._jieba.has_word(word)

    def tokens(self, text: str) -> list[str]:
        """Index terms of ``text`` (stop words, single Latin letters and digits removed)."""
        stopwords = self.stopwords
        normalized = normalize(text)
        # _segment's filters and the stop words in one pass (same tokens, same order).
        tokens = [
            t
            for t in self._jieba.cut_for_search(normalized, self.hmm)
            if t not in stopwords and t.isalnum()
        ]
        if _COMPOUND_HINT.search(normalized):
            tokens.extend(t for t in _COMPOUND.findall(normalized) if t not in stopwords)
        return tokens

    def query_terms(self, query: str) -> dict[str, float]:
        """Weighted terms of a query: its own terms at 1.0 (repeats count once more each), synonyms of
        each at :attr:`synonym_weight`. Empty for an empty or unusable query."""
        weights: dict[str, float] = {}
        for term in self.tokens(query[:MAX_QUERY_CHARS]):
            weights[term] = weights.get(term, 0.0) + 1.0
        for term in list(weights):
            for synonym in self.synonyms.get(term, ()):
                weights.setdefault(synonym, self.synonym_weight)
        return weights


def highlight(text: str, terms: Iterable[str], width: int = 80) -> tuple[str, list[str]]:
    """An HTML-escaped snippet of about ``width`` characters around the densest match of ``terms`` in
    ``text``, with each occurrence wrapped in ``<mark>``, and the terms that occur.

    Matching is done on the normalised text (so 電動汽車 in the record is found by 电动汽车) and the marks
    are placed on the original characters.
    """
    folded, offsets = normalize_with_offsets(text)
    spans: list[tuple[int, int]] = []
    found: list[str] = []
    for term in sorted({t for t in terms if t}, key=len, reverse=True):
        start = folded.find(term)
        if start < 0:
            continue
        found.append(term)
        while start >= 0:
            spans.append((offsets[start], offsets[start + len(term) - 1] + 1))
            start = folded.find(term, start + len(term))
    if not spans:
        return "", []
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    # The window starting a little before the match that has most other matches within ``width``.
    best, best_count = 0, -1
    for i, (start, _end) in enumerate(merged):
        count = sum(1 for s, _ in merged[i:] if s < start + width)
        if count > best_count:
            best, best_count = i, count
    window_start = max(0, merged[best][0] - width // 4)
    window_end = min(len(text), window_start + width)
    parts: list[str] = ["…" if window_start > 0 else ""]
    cursor = window_start
    for start, end in merged:
        if end <= window_start or start >= window_end:
            continue
        start, end = max(start, window_start), min(end, window_end)
        parts.append(html.escape(text[cursor:start]))
        parts.append(f"<mark>{html.escape(text[start:end])}</mark>")
        cursor = end
    parts.append(html.escape(text[cursor:window_end]))
    parts.append("…" if window_end < len(text) else "")
    return "".join(parts), found
