"""`quarry eval`: score retrieval on a BEIR folder or a span gold set, per mode, optionally into a report;
with --answers, score `quarry ask`'s answers on the same data instead; with --verify, quote checking.

The flags and their checks live here; the scoring (eval.harness, eval.answers), the printed tables
(eval.tables) and the report (eval.report, eval.report_answers, eval.report_compare, eval.report_verify) are plain
functions in eval/."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from cli.flags import add_setting_flags
from quarry.errors import UsageError
from quarry.settings import MODES

DEFAULT_MODES = ",".join(sorted(MODES))  # bm25,dense,hybrid: the two retrievers, then their fusion

SETTING_FLAGS = ("model", "device", "runtime", "batch_size", "max_chunk_tokens", "fusion", "fusion_model", "candidates", "rrf_k", "alpha", "eval_cache",
                 "backend", "milvus_uri", "milvus_collection")
ANSWER_FLAGS = ("abstain_below", "answer_passages", "answer_sentences", "answer_checks", "reranker")


def register(sub) -> None:
    p = sub.add_parser(
        "eval", help="measure retrieval (or, with --answers, answer) quality on judged data",
        description="Index a judged data set through the indexer (cached), search it through the same code as "
                    "`quarry search`, and score each mode. With --answers, ask every question through `quarry ask` and judge "
                    "the answers instead. With only --report, rebuild the report from saved results.")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--dataset", type=Path, metavar="DIR", help="a BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv")
    what.add_argument("--gold", type=Path, metavar="FILE", help="a span gold set (JSON lines) over the files in --docs")
    p.add_argument("--answers", action="store_true",
                   help="score `quarry ask` instead of retrieval: gold spans (--gold) or ConditionalQA evidence (--dataset, --qa), "
                        "abstention rates, latency and the abstain_below calibration table")
    p.add_argument("--compare", action="store_true",
                   help="score `quarry compare` instead: questions of --gold that name an authority are asked without it, "
                        "compared by authority, and the named authority's row judged (Success@1, @3, abstentions)")
    p.add_argument("--not-covered", dest="not_covered", type=Path, metavar="FILE",
                   help="with --compare: judged (topic, authorities whose reports do not cover it) rows that should abstain")
    p.add_argument("--index", type=Path, metavar="DIR",
                   help="with --compare: score this index of --docs as it is instead of the cached one")
    p.add_argument("--verify", action="store_true",
                   help="score quote checking (`quarry verify`) instead: --gold is a verdict gold set such as eval/gold/verify.jsonl; "
                        "per-verdict precision and recall, confusion, changed words named, spans, latency")
    p.add_argument("--qa", default="qa.jsonl", metavar="FILE",
                   help="with --answers --dataset: questions with evidences inside the folder (default qa.jsonl)")
    p.add_argument("--corpus", default="corpus.jsonl", metavar="FILE", help="corpus file inside the BEIR folder (default corpus.jsonl)")
    p.add_argument("--split", default="test", help="qrels split: qrels/<split>.tsv (default test)")
    p.add_argument("--docs", type=Path, action="append", metavar="PATH",
                   help="files or folders the gold set's documents are in (repeat to add more; default corpus/)")
    p.add_argument("--name", help="data set name in results and the report (default: folder or gold file name)")
    p.add_argument("--modes", default=DEFAULT_MODES, help=f"comma-separated retrieval modes (default {DEFAULT_MODES})")
    p.add_argument("-k", "--depth", dest="depth", type=int, default=100, metavar="K",
                   help="results ranked per query: documents (BEIR) or passages (gold) (default 100)")
    p.add_argument("--json", action="store_true", help="one JSON object per line per mode (with --answers: one line for the data set)")
    p.add_argument("--report", type=Path, metavar="FILE.md", help="save results beside FILE.md and rebuild the report and its Recall@k plot")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    add_setting_flags(p, *SETTING_FLAGS, *ANSWER_FLAGS)
    add_setting_flags(p, "milvus_token")  # not in SETTING_FLAGS: never written into a report


def command_line(args) -> str:
    """The command as a user would type it (for the report)."""
    parts = ["quarry", "eval"] + (["--answers"] if args.answers else []) + (["--compare"] if getattr(args, "compare", False) else []) + (["--verify"] if getattr(args, "verify", False) else [])
    if args.dataset:
        parts += ["--dataset", str(args.dataset)]
        if args.corpus != "corpus.jsonl":
            parts += ["--corpus", args.corpus]
        if args.split != "test":
            parts += ["--split", args.split]
        if args.answers and args.qa != "qa.jsonl":
            parts += ["--qa", args.qa]
    if args.gold:
        parts += ["--gold", str(args.gold)]
        for d in args.docs or []:
            parts += ["--docs", str(d)]
    if getattr(args, "not_covered", None):
        parts += ["--not-covered", str(args.not_covered)]
    if getattr(args, "index", None):
        parts += ["--index", str(args.index)]
    if args.name:
        parts += ["--name", args.name]
    if args.modes != DEFAULT_MODES:
        parts += ["--modes", args.modes]
    if args.depth != 100:
        parts += ["-k", str(args.depth)]
    for name in SETTING_FLAGS + (ANSWER_FLAGS if args.answers else ()):
        if getattr(args, name, None) is not None:
            parts += ["--" + name.replace("_", "-"), str(getattr(args, name))]
    if args.report:
        parts += ["--report", str(args.report)]
    return shlex.join(parts)


def _modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise UsageError(f"--modes takes a comma-separated list of {', '.join(sorted(MODES))}, not {text!r}")
    return list(dict.fromkeys(modes))


def _gold_name(args, docs: list[Path]) -> str:
    return args.name or (args.gold.stem if len(docs) == 1 else args.gold.stem + "@" + "+".join(d.resolve().name for d in docs))


def _gold_docs(args) -> list[Path]:
    docs = args.docs or [Path("corpus")]
    for d in docs:
        if not d.exists():
            raise UsageError(f"--docs {d}: no such file or folder")
    return docs


def run_answers(args, settings, progress) -> int:
    """`quarry eval --answers`: one pass of `quarry ask` over the questions, judged and optionally reported."""
    from eval import answers

    if not (args.dataset or args.gold):
        raise UsageError("--answers needs --gold FILE (span gold set) or --dataset DIR (a BEIR folder with a qa.jsonl)")
    if args.modes != DEFAULT_MODES or args.depth != 100 or args.split != "test":
        raise UsageError("--modes, -k and --split score retrieval; with --answers use --answer-passages")
    if args.dataset:
        result = answers.evaluate_beir_answers(args.dataset, settings, args.qa, args.corpus, progress)
        result.dataset = args.name or result.dataset
    else:
        docs = _gold_docs(args)
        result = answers.evaluate_gold_answers(args.gold, docs, settings, _gold_name(args, docs), progress)
    if args.json:
        print(json.dumps(result.line(), ensure_ascii=False))
    else:
        from eval.tables import answers_table

        print(answers_table(result))
    if args.report:
        from eval import report_answers

        save_and_rebuild(report_answers.save, result, args)
    return 0


def run_compare(args, settings, progress) -> int:
    """`quarry eval --compare`: the comparison view judged on a span gold set, optionally reported."""
    from eval import compare

    if not args.gold or args.answers:
        raise UsageError("--compare needs --gold FILE (a span gold set) and goes without --answers")
    docs = _gold_docs(args)
    if args.not_covered is not None and not args.not_covered.is_file():
        raise UsageError(f"--not-covered {args.not_covered}: no such file")
    name = _gold_name(args, docs)
    if args.index is not None:
        from eval.gold import DocMatcher
        from indexer.build import file_sources
        from search.api import open_index

        searcher = open_index(args.index, settings.with_(index=str(args.index), max_query_chars=10**6))
        sources, _ = file_sources(docs)
        result = compare.score_compare(searcher, args.gold, DocMatcher(sources, docs), name, args.not_covered,
                                       [str(d) for d in docs])
    else:
        result = compare.evaluate_compare(args.gold, docs, settings, name, args.not_covered, progress)
    if args.json:
        print(json.dumps(result.line(), ensure_ascii=False))
    else:
        print(f"{result.dataset}: {result.questions} questions over {result.groups} authorities; "
              f"S@1 {result.success_at_1:.3f}  S@3 {result.success_at_3:.3f}  finding abstains {result.finding_abstained:.3f}"
              + (f"; not covered: {result.not_covered_cases} rows, abstain {result.not_covered_abstained:.3f}"
                 if result.not_covered_cases else "")
              + f"; p50 {result.seconds_p50:.2f} s, max {result.seconds_max:.2f} s")
    if args.report:
        from eval import report_compare

        save_and_rebuild(report_compare.save, result, args)
    return 0


def run_verify(args, settings, progress) -> int:
    """`quarry eval --verify`: every row of a verdict gold set through the quote checker (eval/verify.py)."""
    from eval import verify
    from eval.harness import open_gold_docs

    if not args.gold or args.dataset or args.answers:
        raise UsageError("--verify needs --gold FILE (a verdict gold set such as eval/gold/verify.jsonl) and --docs")
    if args.modes != DEFAULT_MODES or args.depth != 100 or args.split != "test":
        raise UsageError("--modes, -k and --split do not apply to --verify")
    try:
        gold = verify.load_gold(args.gold)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if not gold:
        raise UsageError(f"{args.gold}: no rows")
    name = args.name or args.gold.stem
    searcher, info, _, _ = open_gold_docs(_gold_docs(args), settings, name, progress)
    result = verify.evaluate(searcher, gold, info["model"], name)
    print(json.dumps(result.line(), ensure_ascii=False) if args.json else verify.report(result))
    if args.report:
        from eval import report_verify

        save_and_rebuild(report_verify.save, result, args)
    return 0


def save_and_rebuild(save, result, args) -> None:
    """Save one run's result beside the report, then rebuild the whole report from every saved run."""
    from eval import report

    save(result, args.report, command_line(args))
    report.write(args.report)
    if not args.json:
        print(f"report: {args.report}")


def run(args, settings) -> int:
    from indexer.build import stderr_progress

    if (args.not_covered or args.index) and not args.compare:
        raise UsageError("--not-covered and --index go with --compare")
    if args.compare and args.verify:
        raise UsageError("--compare and --verify score different things: give one")
    if args.compare:
        return run_compare(args, settings, stderr_progress(args.quiet))
    if args.verify:
        return run_verify(args, settings, stderr_progress(args.quiet))

    if args.qa != "qa.jsonl" and not args.answers:
        raise UsageError("--qa goes with --answers --dataset")
    if args.answers:
        if args.docs and not args.gold:
            raise UsageError("--docs goes with --gold")
        return run_answers(args, settings, stderr_progress(args.quiet))
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

        docs = _gold_docs(args)
        results = evaluate_gold(args.gold, docs, settings, modes, args.depth, progress, _gold_name(args, docs))
    if results and args.name and args.dataset:
        for r in results:
            r.dataset = args.name
    if results:
        if args.json:
            for r in results:
                print(json.dumps(r.line(), ensure_ascii=False))
        else:
            from eval.tables import retrieval_table

            print(retrieval_table(results))
    if args.report:
        from eval import report

        if results:
            report.save(results, args.report, command_line(args))
        png = report.write(args.report)
        if not args.json:
            print(f"report: {args.report} (plot {png})")
    return 0
