"""Shared fixtures: the seed corpus, a fast index (hash embedder) and the real-model index."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.build import build_index
from quarry.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
SEEDS = {
    "letter_wrexham": "ciw-wrexham-performance-review-2019-20",
    "annual_report": "wrexham-social-services-annual-report-2009-10",
    "letter_cardiff": "ciw-cardiff-performance-review-2018-19",
}

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def hash_index(tmp_path_factory) -> Settings:
    """The seed corpus indexed with the fake hash embedder (fast)."""
    settings = Settings(index=str(tmp_path_factory.mktemp("hash") / "index"), model="hash")
    build_index([CORPUS], settings)
    return settings


@pytest.fixture(scope="session")
def real_index(tmp_path_factory) -> Settings:
    """The seed corpus indexed with the real all-MiniLM-L6-v2 model (about 20 s)."""
    settings = Settings(index=str(tmp_path_factory.mktemp("real") / "index"))
    build_index([CORPUS], settings)
    return settings


@pytest.fixture(scope="session")
def real_searcher(real_index):
    from search import open_index

    return open_index(real_index.index, real_index)
