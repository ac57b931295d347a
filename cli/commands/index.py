"""`quarry index [PATH ...]`: build or update the index (only changed documents are processed);
`quarry index --check`: verify the current build in full (every file's hash, every table row)."""

from __future__ import annotations

import json
from pathlib import Path

from cli.flags import add_backend_flags, add_setting_flags


def register(sub) -> None:
    p = sub.add_parser("index", help="index documents (default: corpus/) into the index directory",
                       description="Index documents into an index directory; re-running processes only added or changed "
                                   "documents and drops deleted ones.")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders to index (default: corpus/)")
    add_setting_flags(p, "index", "model", "device", "runtime", "batch_size", "max_chunk_tokens", "max_file_mb", "cluster")
    add_backend_flags(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars (for scripts)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--check", action="store_true",
                   help="build nothing: verify the current build in full (every file's hash, every record) and exit; "
                        "a search checks only sizes and hashes when it opens an index")


def run(args, settings) -> int:
    if args.check:
        return _check(args, settings)
    from indexer.build import build_index, stderr_progress

    paths = args.paths or [Path("corpus")]
    say = stderr_progress(args.quiet or args.json)
    summary = build_index(paths, settings, progress=say)
    synced = None
    if settings.backend == "milvus":  # the local build is the staging area; Milvus gets its changes
        from indexer.milvus_sync import sync

        synced = sync(Path(settings.index), settings, say)
    if args.json:
        print(json.dumps({**summary.to_dict(), **({"milvus": synced.to_dict()} if synced else {})}, ensure_ascii=False))
    else:
        print("\n".join(summary.lines() + ([synced.line()] if synced else [])))
    return 0


def _check(args, settings) -> int:
    """Verify the current build of --index in full; a damaged one is an IndexCorrupt (one line, exit 1)."""
    from quarry import index_format as fmt
    from quarry.errors import UsageError
    from quarry.index_check import verify_build

    if args.paths:
        raise UsageError("--check verifies the index and takes no PATH")
    folder = fmt.build_dir(Path(settings.index))
    counts = verify_build(folder)
    if args.json:
        print(json.dumps({"ok": True, "build": str(folder), **counts}))
    else:
        print(f"index at {folder} is intact: {counts['documents']} documents, {counts['chunks']} chunks, "
              f"{counts['files']} files ({counts['bytes'] / 1e6:.1f} MB) verified")
    return 0
