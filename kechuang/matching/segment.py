"""An immutable lexical segment: BM25F postings, filter postings and stored documents in numpy arrays.

A segment is built once (:func:`build_segment`) and then only read. Written to a folder it is opened with
memory-mapped arrays (:meth:`Segment.open`), so every worker process shares one copy through the page
cache. Scores follow BM25F: each field's term counts are multiplied by the field weight before the usual
BM25 saturation and length normalisation.
"""

from __future__ import annotations

import gc
import io
import itertools
import json
import multiprocessing
import os
import shutil
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kechuang.matching.base import Document, ProgressCallback
from kechuang.matching.text import Analyzer

FORMAT_VERSION = 1
ARRAYS = (
    "post_ptr",
    "post_doc",
    "post_tf",
    "doc_len",
    "doc_type",
    "doc_group",
    "filt_ptr",
    "filt_doc",
    "doc_off",
)


class SegmentCorrupt(Exception):
    """A segment folder is missing files or its files disagree with each other."""


def document_to_dict(doc: Document) -> dict:
    return {
        "id": doc.id,
        "type": doc.type,
        "fields": dict(doc.fields),
        "weights": dict(doc.weights),
        "filters": {k: list(v) for k, v in doc.filters.items()},
        "group": doc.group,
        "updated": doc.updated,
    }


def document_to_json(doc: Document) -> str:
    return json.dumps(document_to_dict(doc), ensure_ascii=False)


def document_from_json(line: str | bytes) -> Document:
    data = json.loads(line)
    return Document(
        id=data["id"],
        type=data["type"],
        fields=data.get("fields", {}),
        weights=data.get("weights", {}),
        filters={k: tuple(v) for k, v in data.get("filters", {}).items()},
        group=data.get("group", ""),
        updated=float(data.get("updated", 0.0)),
    )


_CACHE_CHARS = 200  # field texts up to this long (titles, names) are segmented once per process
_CACHE_ENTRIES = 20_000


def analyse(
    doc: Document, analyzer: Analyzer, cache: dict[str, Counter] | None = None
) -> tuple[dict[str, float], float]:
    """The document's weighted term frequencies and weighted length. ``cache`` (text → token counts)
    lets repeated short field texts be segmented once."""
    tf: dict[str, float] = {}
    length = 0.0
    for name, text in doc.fields.items():
        if not text:
            continue
        weight = float(doc.weights.get(name, 1.0))
        if weight <= 0:
            continue
        counts = cache.get(text) if cache is not None else None
        if counts is None:
            counts = Counter(analyzer.tokens(text))
            if cache is not None and len(text) <= _CACHE_CHARS:
                if len(cache) >= _CACHE_ENTRIES:
                    cache.clear()
                cache[text] = counts
        length += weight * counts.total()
        if tf:
            for token, count in counts.items():
                tf[token] = tf.get(token, 0.0) + weight * count
        else:  # the first field with tokens: 0.0 + weight × count, as above
            tf = {token: weight * count for token, count in counts.items()}
    return tf, length


@dataclass
class Segment:
    """Arrays of one segment (see the module docstring); ``folder`` is None for an in-memory segment."""

    vocab: dict[str, int]
    ids: list[str]
    types: list[str]
    groups: list[str]
    filter_keys: dict[str, int]  # "attribute\x1fvalue" → row of filt_ptr
    post_ptr: np.ndarray
    post_doc: np.ndarray
    post_tf: np.ndarray
    doc_len: np.ndarray
    doc_type: np.ndarray
    doc_group: np.ndarray
    filt_ptr: np.ndarray
    filt_doc: np.ndarray
    doc_off: np.ndarray
    docs_blob: bytes | memoryview | np.ndarray  # the documents as JSON lines
    folder: Path | None = None

    @property
    def size(self) -> int:
        return len(self.ids)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        row = self.vocab.get(term)
        if row is None:
            return None
        start, end = self.post_ptr[row], self.post_ptr[row + 1]
        return self.post_doc[start:end], self.post_tf[start:end]

    def df(self, term: str) -> int:
        row = self.vocab.get(term)
        return 0 if row is None else int(self.post_ptr[row + 1] - self.post_ptr[row])

    def filter_docs(self, attribute: str, value: str) -> np.ndarray:
        row = self.filter_keys.get(f"{attribute}\x1f{value}")
        if row is None:
            return np.zeros(0, np.int32)
        return self.filt_doc[self.filt_ptr[row] : self.filt_ptr[row + 1]]

    def document(self, row: int) -> Document:
        start, end = int(self.doc_off[row]), int(self.doc_off[row + 1])
        return document_from_json(bytes(self.docs_blob[start:end]))

    def documents(self) -> Iterator[Document]:
        for row in range(self.size):
            yield self.document(row)

    # --- persistence ----------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the segment into ``folder`` (which must be new)."""
        folder.mkdir(parents=True)
        for name in ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))
        spooled = getattr(self.docs_blob, "filename", None)
        if spooled and len(self.docs_blob):
            # Documents spooled to a file while building: copied file to file, never read into memory.
            try:
                os.link(spooled, folder / "docs.jsonl")
            except OSError:
                shutil.copyfile(spooled, folder / "docs.jsonl")
        else:
            with open(folder / "docs.jsonl", "wb") as handle:
                handle.write(self.docs_blob)
        meta = {
            "format": FORMAT_VERSION,
            "size": self.size,
            "vocab": list(self.vocab),
            "types": self.types,
            "groups": self.groups,
            "filter_keys": list(self.filter_keys),
            "docs_bytes": len(self.docs_blob),
            "postings": int(self.post_ptr[-1]),
        }
        (folder / "ids.txt").write_text("\n".join(self.ids), encoding="utf-8")
        with open(folder / "meta.json", "w", encoding="utf-8") as handle:
            json.dump(meta, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())

    @classmethod
    def open(cls, folder: Path) -> Segment:
        """Open a saved segment with memory-mapped arrays; :class:`SegmentCorrupt` if anything is off."""
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT_VERSION:
                raise SegmentCorrupt(
                    f"{folder}: format {meta.get('format')} is not {FORMAT_VERSION}"
                )
            # Plain ndarray views of the maps: numpy's memmap subclass makes every slice slow.
            arrays = {
                name: np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r")) for name in ARRAYS
            }
            ids_text = (folder / "ids.txt").read_text(encoding="utf-8")
            ids = ids_text.split("\n") if ids_text else []
            blob = (
                np.memmap(folder / "docs.jsonl", dtype=np.uint8, mode="r")
                if meta["docs_bytes"]
                else b""
            )
        except SegmentCorrupt:
            raise
        except (OSError, ValueError, KeyError) as exc:
            raise SegmentCorrupt(f"{folder}: {exc}") from exc
        size = meta["size"]
        consistent = (
            len(ids) == size
            and len(arrays["doc_len"]) == size
            and len(arrays["doc_type"]) == size
            and len(arrays["doc_group"]) == size
            and len(arrays["doc_off"]) == size + 1
            and len(arrays["post_ptr"]) == len(meta["vocab"]) + 1
            and len(arrays["post_doc"]) == meta["postings"] == len(arrays["post_tf"])
            and int(arrays["post_ptr"][-1]) == meta["postings"]
            and len(arrays["filt_ptr"]) == len(meta["filter_keys"]) + 1
            and len(blob) == meta["docs_bytes"] == int(arrays["doc_off"][-1])
        )
        if not consistent:
            raise SegmentCorrupt(f"{folder}: files disagree with meta.json")
        return cls(
            vocab={term: row for row, term in enumerate(meta["vocab"])},
            ids=ids,
            types=meta["types"],
            groups=meta["groups"],
            filter_keys={key: row for row, key in enumerate(meta["filter_keys"])},
            docs_blob=blob,
            folder=folder,
            **arrays,
        )


@dataclass
class _Batch:
    """The analysis of consecutive documents in compact arrays (cheap to send between processes)."""

    source: int  # the process that analysed it: its term numbering is kept from batch to batch
    new_terms: list[str]  # terms this source numbered for the first time, in the order numbered
    term_ids: np.ndarray  # int32 in the source's numbering, one per posting, documents in order
    tf: np.ndarray  # float32, one per posting
    n_postings: np.ndarray  # int32, postings per document
    lengths: np.ndarray  # float32, weighted length per document
    blob: bytes  # the documents as JSON lines
    blob_sizes: np.ndarray  # int64, bytes per document


def _analyse_batch(
    docs: Sequence[Document],
    analyzer: Analyzer,
    known: Mapping[str, tuple[dict[str, float], float]],
    cache: dict[str, Counter] | None,
    local: dict[str, int],
) -> _Batch:
    """Analyse ``docs``, numbering terms in ``local`` (the source's term numbering, extended here)."""
    known_terms = len(local)
    term_ids, tfs, n_postings, lengths = array("i"), array("f"), array("i"), array("f")
    blobs: list[bytes] = []
    for doc in docs:
        tf, length = known.get(doc.id) or analyse(doc, analyzer, cache)
        term_ids.extend([local.setdefault(term, len(local)) for term in tf])
        tfs.extend(tf.values())
        n_postings.append(len(tf))
        lengths.append(length)
        blobs.append(document_to_json(doc).encode() + b"\n")
    return _Batch(
        source=os.getpid(),
        new_terms=list(itertools.islice(local, known_terms, None)),
        term_ids=np.frombuffer(term_ids, dtype=np.int32),
        tf=np.frombuffer(tfs, dtype=np.float32),
        n_postings=np.frombuffer(n_postings, dtype=np.int32),
        lengths=np.frombuffer(lengths, dtype=np.float32),
        blob=b"".join(blobs),
        blob_sizes=np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)),
    )


def build_segment(
    documents: Iterable[Document],
    analyzer: Analyzer,
    total: int | None = None,
    progress: ProgressCallback | None = None,
    analysed: Mapping[str, tuple[dict[str, float], float]] | None = None,
    workers: int = 1,
    spool: Path | None = None,
) -> Segment:
    """Analyse ``documents`` (ids must be unique: :class:`ValueError` otherwise) into a segment held in
    memory.

    ``analysed`` may hold already-analysed documents by id (the live segment reuses them); ``workers`` > 1
    segments text in that many forked processes (the arrays are still assembled here, in order).
    Postings are gathered per batch as int32 term ids and float32 frequencies and grouped by term at the
    end with a counting sort, one batch at a time, so memory stays near the size of the final arrays.
    With ``spool`` (a file path) the documents' JSON lines are written there instead of held in memory;
    the segment maps the file and :meth:`Segment.save` links or copies it (the caller deletes it).
    """
    vocab: dict[str, int] = {}
    ids: list[str] = []
    row_of: dict[str, int] = {}
    types: dict[str, int] = {}
    groups: dict[str, int] = {"": 0}
    filter_keys: dict[str, int] = {}
    batches: list[
        tuple[np.ndarray, np.ndarray, np.ndarray]
    ] = []  # (global term ids, tf, n_postings)
    to_global: dict[int, array] = {}  # source → its term numbers' rows in ``vocab``
    filt_key_col, filt_doc_col = array("i"), array("i")
    doc_type, doc_group = array("h"), array("i")
    len_parts: list[np.ndarray] = []
    size_parts: list[np.ndarray] = [np.zeros(1, np.int64)]
    # The spool file, or one growing buffer (a list of bytes joined at the end would need twice the
    # memory); closed below, also when a duplicate id stops the build.
    blobs = open(spool, "wb") if spool else io.BytesIO()  # noqa: SIM115
    done = 0
    try:
        for docs, batch in _analysed(documents, analyzer, analysed or {}, workers):
            for doc in docs:
                if doc.id in row_of:
                    raise ValueError(f"document {doc.id!r} appears twice")
                row = len(ids)
                row_of[doc.id] = row
                ids.append(doc.id)
                doc_type.append(types.setdefault(doc.type, len(types)))
                doc_group.append(groups.setdefault(doc.group, len(groups)) if doc.group else 0)
                for attribute, values in doc.filters.items():
                    for value in {str(v) for v in values}:
                        filt_key_col.append(
                            filter_keys.setdefault(f"{attribute}\x1f{value}", len(filter_keys))
                        )
                        filt_doc_col.append(row)
            rows = to_global.setdefault(batch.source, array("i"))
            rows.extend([vocab.setdefault(term, len(vocab)) for term in batch.new_terms])
            batches.append(
                (np.frombuffer(rows, dtype=np.int32)[batch.term_ids], batch.tf, batch.n_postings)
            )
            len_parts.append(batch.lengths)
            size_parts.append(batch.blob_sizes)
            blobs.write(batch.blob)
            before, done = done, done + len(docs)
            if progress and done // 1000 > before // 1000:
                progress(done, total or done)
    except BaseException:
        blobs.close()
        raise
    if progress:
        progress(done, total or done)
    if spool:
        blobs.close()
        docs_blob = np.memmap(spool, dtype=np.uint8, mode="r") if os.path.getsize(spool) else b""
    else:
        docs_blob = blobs.getbuffer()
    post_ptr, post_doc, post_tf = _postings(batches, len(vocab))
    filt_keys = np.frombuffer(filt_key_col, dtype=np.int32)
    filt_ptr, filt_order = _group_by(filt_keys, len(filter_keys))
    return Segment(
        vocab=vocab,
        ids=ids,
        types=list(types),
        groups=list(groups),
        filter_keys=filter_keys,
        post_ptr=post_ptr,
        post_doc=post_doc,
        post_tf=post_tf,
        doc_len=np.concatenate(len_parts) if len_parts else np.zeros(0, np.float32),
        doc_type=np.frombuffer(doc_type, dtype=np.int16).copy(),
        doc_group=np.frombuffer(doc_group, dtype=np.int32).copy(),
        filt_ptr=filt_ptr,
        filt_doc=np.frombuffer(filt_doc_col, dtype=np.int32)[filt_order],
        doc_off=np.cumsum(np.concatenate(size_parts), dtype=np.int64),
        docs_blob=docs_blob,
    )


def _postings(
    batches: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n_terms: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR postings (pointers, documents, frequencies) grouped by term, documents ascending within a term
    — a counting sort that places one batch at a time and frees it (``batches`` is emptied)."""
    counts = np.zeros(n_terms, dtype=np.int64)
    for terms, _tf, _n in batches:
        counts += np.bincount(terms, minlength=n_terms)
    post_ptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(counts, out=post_ptr[1:])
    del counts
    post_doc = np.empty(int(post_ptr[-1]), dtype=np.int32)
    post_tf = np.empty(int(post_ptr[-1]), dtype=np.float32)
    fill = post_ptr[:-1].copy()  # the next free place of each term
    first_row = 0
    batches.reverse()  # popped from the end, in document order
    while batches:
        terms, tf, n_postings = batches.pop()
        rows = np.repeat(
            np.arange(first_row, first_row + len(n_postings), dtype=np.int32), n_postings
        )
        first_row += len(n_postings)
        if not len(terms):
            continue
        order = np.argsort(terms, kind="stable")
        sorted_terms = terms[order]
        starts = np.flatnonzero(np.concatenate(([True], sorted_terms[1:] != sorted_terms[:-1])))
        run_lengths = np.diff(np.append(starts, len(sorted_terms)))
        rank = np.arange(len(sorted_terms)) - np.repeat(starts, run_lengths)
        places = fill[sorted_terms] + rank
        post_doc[places] = rows[order]
        post_tf[places] = tf[order]
        fill[sorted_terms[starts]] += run_lengths
    return post_ptr, post_doc, post_tf


_worker_analyzer: Analyzer | None = None  # set in the parent before forking the analysis workers
_worker_cache: dict[str, Counter] = {}  # each worker's (forked: they start empty)
_worker_terms: dict[str, int] = {}


def _analyse_chunk(docs: list[Document]) -> _Batch:
    assert _worker_analyzer is not None
    return _analyse_batch(docs, _worker_analyzer, {}, _worker_cache, _worker_terms)


def _chunks(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    chunk: list[Document] = []
    for doc in documents:
        chunk.append(doc)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _analysed(
    documents: Iterable[Document],
    analyzer: Analyzer,
    known: Mapping[str, tuple[dict[str, float], float]],
    workers: int,
    batch_size: int = 1000,
) -> Iterator[tuple[list[Document], _Batch]]:
    """Batches of documents with their analysis, in order; in ``workers`` forked processes when > 1."""
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        cache: dict[str, Counter] = {}
        terms: dict[str, int] = {}
        for chunk in _chunks(documents, batch_size):
            yield chunk, _analyse_batch(chunk, analyzer, known, cache, terms)
        return
    global _worker_analyzer
    _worker_analyzer = analyzer
    sent: deque[list[Document]] = deque()

    def remember(chunks: Iterator[list[Document]]) -> Iterator[list[Document]]:
        for chunk in chunks:
            sent.append(chunk)  # imap's feeder thread sends chunks in this order…
            yield chunk

    # The forked workers' garbage collections would otherwise walk (and so copy) every object of the
    # parent's heap — a benchmark's million documents held in a list, times the number of workers.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for batch in pool.imap(_analyse_chunk, remember(_chunks(documents, batch_size))):
                yield sent.popleft(), batch  # …and results come back in it
            # Let the workers finish by themselves: leaving the block terminates them with SIGTERM, which a
            # worker forked from a process with its own SIGTERM handler (a task worker) ignores — a hang.
            pool.close()
            pool.join()
    finally:
        gc.unfreeze()
        _worker_analyzer = None


def _group_by(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR pointers for ``keys`` in ``range(n_keys)`` and the stable order that groups rows by key."""
    counts = np.bincount(keys, minlength=n_keys) if len(keys) else np.zeros(n_keys, np.int64)
    ptr = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    order = np.argsort(keys, kind="stable") if len(keys) else np.zeros(0, np.int64)
    return ptr, order


def empty_segment(analyzer: Analyzer) -> Segment:
    return build_segment([], analyzer)


def segment_stats(segments: Sequence[Segment]) -> tuple[int, float]:
    """Total documents and average weighted length over ``segments``."""
    n = sum(s.size for s in segments)
    total = sum(float(np.sum(s.doc_len, dtype=np.float64)) for s in segments)
    return n, (total / n if n else 1.0)
