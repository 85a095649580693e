"""The matching engine's interface. Plain Python: this package never imports Django.

A backend indexes :class:`Document` s and answers :meth:`SearchBackend.search` with ranked :class:`Hit` s,
each carrying the :class:`Evidence` for why it matched. Backends are chosen by name and loaded by dotted
path (see :func:`kechuang.matching.load_backend`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One record to index.

    ``id`` is unique across types (``"expert:42"``); ``fields`` maps a field name to its text and
    ``weights`` a field name to its weight (missing → 1.0); ``filters`` maps an attribute to the values the
    record has (a region lists its own code and every ancestor's, so filtering by a city finds its
    districts); ``group`` names what diversity is counted by (e.g. the owning organisation).
    """

    id: str
    type: str
    fields: Mapping[str, str]
    weights: Mapping[str, float] = field(default_factory=dict)
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    group: str = ""
    updated: float = 0.0


@dataclass
class Evidence:
    """Why a hit matched: one sentence (or list item) of field ``field`` and the query's key phrases it
    answers (``terms``), with them in ``<mark>`` in ``snippet``. ``terms`` is empty for the sentence
    nearest the query of a record only the dense side found.

    ``snippet`` is HTML-escaped except for the ``<mark>`` tags, so templates may mark it safe.
    """

    field: str
    terms: list[str]
    snippet: str


@dataclass
class Hit:
    """A ranked result: its score (higher is better, comparable only within one search), the evidence,
    the record's dense similarity to the query itself when a dense encoder contributed (``semantic`` in
    [-1, 1], else ``None``; not to the query as feedback moved it for ranking), and
    ``strength`` in [0, 1], the share of the query's key phrases the record answers (see
    :mod:`kechuang.matching.evidence`; 0 without ``explain``), and ``focus``, the share its best
    evidence item answers alone (one sentence, one paper or patent a line: at most ``strength``)."""

    id: str
    type: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    semantic: float | None = None
    strength: float = 0.0
    focus: float = 0.0


ProgressCallback = Callable[[int, int], None]  # (done, total)


class SearchBackend(ABC):
    """What every backend provides. ``options`` come from the ``MATCHING`` setting."""

    def __init__(self, options: Mapping[str, object] | None = None) -> None:
        self.options = dict(options or {})

    @abstractmethod
    def index(self, documents: Iterable[Document]) -> None:
        """Add or replace these documents; searchable when this returns."""

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> None:
        """Remove these documents (unknown ids are ignored)."""

    @abstractmethod
    def rebuild(
        self,
        documents: Iterable[Document],
        total: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Replace the whole index with ``documents``; searches keep answering from the old index until the
        new one is complete."""

    @abstractmethod
    def search(
        self,
        query: str,
        *,
        types: Sequence[str] | None = None,
        filters: Mapping[str, Sequence[str]] | None = None,
        k: int = 10,
        diversify: int | None = None,
        explain: bool = True,
    ) -> list[Hit]:
        """The ``k`` best documents for ``query`` among ``types``, each filter attribute matching any of its
        values (attributes combine with AND). ``diversify`` caps the hits per ``group`` while other groups
        still qualify. ``explain=False`` leaves out the evidence (benchmarks rank deeper than anyone
        reads). An empty or unusable query returns ``[]``."""

    @abstractmethod
    def count(self, types: Sequence[str] | None = None) -> int:
        """How many documents are indexed."""


@dataclass(frozen=True)
class Settings:
    """Ranking knobs shared by the backends, read from the options (upper-case keys).

    ``fusion_alpha`` is the dense share of the fused (z-score normalised) score; ``prf_docs`` top
    documents feed ``prf_terms`` expansion terms at ``prf_weight`` (lexical pseudo-relevance feedback, 0
    turns it off), counting only documents scoring at least ``prf_min_share`` of the best one;
    ``dense_prf`` is the share of the best ``dense_prf_docs`` fused documents' mean vector added to the
    query vector (dense feedback, 0 turns it off), each document weighted ``exp((score − best) /
    dense_prf_temperature)`` so a clear best match counts most and close runners-up share the say; each
    candidate gains ``graph_weight`` times the mean fused score of its ``graph_k`` nearest documents
    (score propagation, two steps with restart; 0 turns it off); ``candidates`` bounds how many lexical
    and dense candidates are fused. The defaults were chosen on the first 500 title queries of the CSL
    sets only (queries 500–999 and the keywords set held out; see the benchmark report).
    """

    fusion_alpha: float = 0.7
    prf_docs: int = 2
    prf_terms: int = 10
    prf_weight: float = 0.0
    prf_min_share: float = 0.5
    dense_prf: float = 3.0
    dense_prf_docs: int = 5
    dense_prf_temperature: float = 0.1
    graph_k: int = 10
    graph_weight: float = 1.2
    candidates: int = 200

    @classmethod
    def from_options(cls, options: Mapping[str, object]) -> Settings:
        values = {}
        for name, default in cls.__dataclass_fields__.items():
            raw = options.get(name.upper())
            if raw is not None:
                values[name] = type(default.default)(raw)
        return cls(**values)
