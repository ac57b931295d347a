"""`quarry bench`: query latency, build throughput, ANN recall, embedding speed and cold start.

The flags and their checks live here; the measuring (eval.bench.run.run_bench) and the Markdown report
(eval.bench.report.markdown) are plain functions in eval/bench/."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from cli.flags import add_setting_flags

DEFAULT_VECTORS = {"all-MiniLM-L6-v2": "all-MiniLM-L6-v2-int8"}


def register(sub) -> None:
    p = sub.add_parser("bench", help="benchmark quarry against the naive baseline",
                       description="Build benchmark indexes of real Ofsted passages and measure latency, throughput, "
                                   "ANN recall, embedding speed (in this process and on a Dask cluster) and cold start; "
                                   "write eval/BENCHMARKS.md.")
    p.add_argument("--sizes", default="1000,10000,100000", help="comma-separated corpus sizes in chunks")
    p.add_argument("--queries", type=int, default=191, help="number of benchmark queries (silver_qa + seed gold)")
    p.add_argument("--json", action="store_true", help="one JSON object per line per (size, mode)")
    p.add_argument("--out", default="eval/BENCHMARKS.md", help="Markdown report to write ('-' = none)")
    p.add_argument("--workdir", default=".quarry/bench-cache", help="benchmark indexes, passages and the vector cache")
    p.add_argument("--inspections", default=None, help="folder of inspection texts (default: the shared Ofsted set)")
    p.add_argument("--vectors-model", default=None,
                   help="model that computes the cached corpus vectors (default: the int8 twin of --model)")
    p.add_argument("--parts", default="build,latency,milvus,ann,embed,cold",
                   help="which measurements to run (milvus: the latency part again through Milvus Lite; needs latency)")
    p.add_argument("--standins", action="store_true",
                   help="passages whose vectors are not cached yet get stand-ins (a cached real vector plus noise) "
                        "instead of being embedded now; the report says how many")
    p.add_argument("--ann-sizes", default=None, help="sizes at which to compare HNSW with flat (default: every size of 5000 or more)")
    p.add_argument("--milvus-sizes", default=None, help="sizes at which to time Milvus Lite too (default: every size up to 10000)")
    p.add_argument("--embed-passages", type=int, default=500,
                   help="passages for the embedding throughput comparisons (embed, and cluster: this process vs --cluster, default local:2)")
    p.add_argument("--notes", default=None, help="a Markdown file whose text goes into the report")
    add_setting_flags(p, "model", "query_model", "cluster")


def _sizes(text: str | None, flag: str) -> list[int] | None:
    """A comma-separated list of sizes, or None when the option was not given."""
    from quarry.errors import UsageError

    if text is None:
        return None
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise UsageError(f"{flag} must be whole numbers separated by commas, not {text!r}") from None


def _parse(args) -> tuple[list[int], tuple[str, ...]]:
    from eval.bench.run import PARTS
    from quarry.errors import UsageError

    sizes = _sizes(args.sizes, "--sizes") or []
    if not sizes or min(sizes) < 10:
        raise UsageError("--sizes needs at least one size of 10 chunks or more")
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    if bad := [p for p in parts if p not in PARTS]:
        raise UsageError(f"--parts: unknown {', '.join(bad)} (choose from {', '.join(PARTS)})")
    if args.queries < 1:
        raise UsageError("--queries must be positive")
    return sizes, parts


def command_line(args) -> str:
    """The `quarry bench ...` command these arguments came from (options as given or defaulted)."""
    words = ["quarry", "bench", "--sizes", args.sizes, "--queries", str(args.queries)]
    if args.embed_passages != 500:
        words += ["--embed-passages", str(args.embed_passages)]
    for flag in ("model", "query_model", "cluster", "vectors_model", "parts", "ann_sizes", "milvus_sizes", "workdir", "inspections", "out"):
        value = getattr(args, flag, None)
        if value:
            words += ["--" + flag.replace("_", "-"), str(value)]
    return shlex.join(words + (["--standins"] if args.standins else []) + (["--json"] if args.json else []))


def run(args, settings) -> int:
    from eval.bench.corpus_index import INSPECTIONS
    from eval.bench.report import markdown
    from eval.bench.run import run_bench

    sizes, parts = _parse(args)
    ann_sizes, milvus_sizes = _sizes(args.ann_sizes, "--ann-sizes"), _sizes(args.milvus_sizes, "--milvus-sizes")
    vectors_model = args.vectors_model or DEFAULT_VECTORS.get(settings.model, settings.model)
    inspections = Path(args.inspections) if args.inspections else INSPECTIONS
    say = (lambda m: None) if args.json else (lambda m: print(f"quarry: bench: {m}", file=sys.stderr, flush=True))
    res = run_bench(sizes, args.queries, Path(args.workdir), settings, vectors_model, parts, inspections, args.standins, ann_sizes, args.embed_passages, say,
                    milvus_sizes)
    res.command = command_line(args)
    if args.json:
        for row in res.rows:
            print(json.dumps(row))
    if args.out != "-":
        notes = Path(args.notes).read_text(encoding="utf-8") if args.notes else ""
        Path(args.out).write_text(markdown(res, notes) + "\n", encoding="utf-8")
        if not args.json:
            print(f"wrote {args.out}")
    if not args.json:
        print(markdown(res))
    return 0
