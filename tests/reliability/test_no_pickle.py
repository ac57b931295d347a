"""No pickle or other code-executing format is ever loaded (issue 8): every .npy load refuses
pickled objects, and nothing imports pickle, marshal, shelve or joblib, or calls torch.load."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("quarry", "indexer", "search", "ui", "eval")


def source_files():
    for package in PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def calls(text: str, name: str):
    """The full text of each call `name(...)`, parentheses balanced."""
    for m in re.finditer(re.escape(name) + r"\(", text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        yield text[m.start():i]


def test_every_numpy_load_refuses_pickles():
    loads = 0
    for path in source_files():
        for call in calls(path.read_text(encoding="utf-8"), "np.load"):
            loads += 1
            assert "allow_pickle=False" in call, f"{path}: {call}"
    assert loads >= 3


def test_no_code_executing_deserialisers():
    banned = re.compile(r"^\s*(?:import|from)\s+(?:pickle|cPickle|marshal|shelve|joblib|dill)\b|torch\.load\(|yaml\.load\(", re.M)
    offenders = [str(p) for p in source_files() if banned.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_an_index_build_holds_only_plain_formats(hash_index):
    from quarry import index_format as fmt

    folder = fmt.build_dir(Path(hash_index.index))
    suffixes = {p.suffix for p in folder.iterdir()}
    assert suffixes <= {".json", ".npy", ".bin", ".faiss"}  # .bin: UTF-8 text and JSON rows (quarry/index_tables.py)
