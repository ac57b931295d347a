"""`quarry eval`: score retrieval on a BEIR folder or a span gold set, per mode, optionally into a report."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from quarry.errors import UsageError

SETTING_FLAGS = ("model", "device", "batch_size", "max_chunk_tokens", "fusion", "candidates", "rrf_k", "alpha", "eval_cache",
                 "backend", "milvus_uri", "milvus_collection")


def register(sub) -> None:
    from quarry.cli import add_setting_flags

    p = sub.add_parser(
        "eval", help="measure retrieval quality on judged data (BEIR folders or span gold sets)",
        description="Index a judged data set through the indexer (cached), search it through the same code as "
                    "`quarry search`, and score each mode. With only --report, rebuild the report from saved results.")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--dataset", type=Path, metavar="DIR", help="a BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv")
    what.add_argument("--gold", type=Path, metavar="FILE", help="a span gold set (JSON lines) over the files in --docs")
    p.add_argument("--corpus", default="corpus.jsonl", metavar="FILE", help="corpus file inside the BEIR folder (default corpus.jsonl)")
    p.add_argument("--split", default="test", help="qrels split: qrels/<split>.tsv (default test)")
    p.add_argument("--docs", type=Path, action="append", metavar="PATH",
                   help="files or folders the gold set's documents are in (repeat to add more; default corpus/)")
    p.add_argument("--name", help="data set name in results and the report (default: folder or gold file name)")
    p.add_argument("--modes", default="bm25,dense,hybrid", help="comma-separated retrieval modes (default bm25,dense,hybrid)")
    p.add_argument("-k", "--depth", dest="depth", type=int, default=100, metavar="K",
                   help="results ranked per query: documents (BEIR) or passages (gold) (default 100)")
    p.add_argument("--json", action="store_true", help="one JSON object per line per mode")
    p.add_argument("--report", type=Path, metavar="FILE.md", help="save results beside FILE.md and rebuild the report and its Recall@k plot")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    add_setting_flags(p, *SETTING_FLAGS)
    add_setting_flags(p, "milvus_token")  # not in SETTING_FLAGS: never written into a report


def command_line(args) -> str:
    """The command as a user would type it (for the report)."""
    parts = ["quarry", "eval"]
    if args.dataset:
        parts += ["--dataset", str(args.dataset)]
        if args.corpus != "corpus.jsonl":
            parts += ["--corpus", args.corpus]
        if args.split != "test":
            parts += ["--split", args.split]
    if args.gold:
        parts += ["--gold", str(args.gold)]
        for d in args.docs or []:
            parts += ["--docs", str(d)]
    if args.name:
        parts += ["--name", args.name]
    if args.modes != "bm25,dense,hybrid":
        parts += ["--modes", args.modes]
    if args.depth != 100:
        parts += ["-k", str(args.depth)]
    for name in SETTING_FLAGS:
        if getattr(args, name, None) is not None:
            parts += ["--" + name.replace("_", "-"), str(getattr(args, name))]
    if args.report:
        parts += ["--report", str(args.report)]
    return shlex.join(parts)


def _modes(text: str) -> list[str]:
    from eval.harness import MODES

    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise UsageError(f"--modes takes a comma-separated list of {', '.join(MODES)}, not {text!r}")
    return list(dict.fromkeys(modes))


def _print_table(results) -> None:
    from eval.report import COLUMNS

    first = results[0]
    print(f"{first.dataset}/{first.split}: {first.queries} queries scored per {first.unit}"
          + ("; not scored: " + ", ".join(f"{n} {why}" for why, n in first.excluded.items()) if first.excluded else ""))
    print(f"{'mode':<8}" + "".join(f"{h:>9}" for h in COLUMNS.values()))
    for r in results:
        print(f"{r.mode:<8}" + "".join(f"{r.metrics[m]:>9.3f}" for m in COLUMNS))
    for note in first.notes:
        print(f"note: {note}")


def run(args, settings) -> int:
    from indexer.build import stderr_progress

    if args.depth < 1:
        raise UsageError("-k must be a positive whole number")
    if args.docs and not args.gold:
        raise UsageError("--docs goes with --gold")
    if not (args.dataset or args.gold or args.report):
        raise UsageError("give --dataset DIR or --gold FILE (or --report FILE.md alone to rebuild a report)")
    modes = _modes(args.modes)
    progress = stderr_progress(args.quiet)
    results = None
    if args.dataset:
        from eval.harness import evaluate_beir

        results = evaluate_beir(args.dataset, settings, args.split, args.corpus, modes, args.depth, progress)
    elif args.gold:
        from eval.harness import evaluate_gold

        docs = args.docs or [Path("corpus")]
        for d in docs:
            if not d.exists():
                raise UsageError(f"--docs {d}: no such file or folder")
        name = args.name or (args.gold.stem if len(docs) == 1 else args.gold.stem + "@" + "+".join(d.resolve().name for d in docs))
        results = evaluate_gold(args.gold, docs, settings, modes, args.depth, progress, name)
    if results and args.name and args.dataset:
        for r in results:
            r.dataset = args.name
    if results:
        if args.json:
            for r in results:
                print(json.dumps(r.line(), ensure_ascii=False))
        else:
            _print_table(results)
    if args.report:
        from eval import report

        if results:
            report.save(results, args.report, command_line(args))
        png = report.write(args.report)
        if not args.json:
            print(f"report: {args.report} (plot {png})")
    return 0
