"""Shared fixtures: the seed corpus, a fast index (hash embedder) and the real-model index; and `require`,
the one way a test says it cannot run here (a skip on a laptop, a failure in CI)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

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


def in_ci() -> bool:
    """True when CI=true (as CI services set it): there every test must run, so a missing need is a failure."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Go on when `condition` holds; otherwise skip on a laptop but fail in CI, where a silent skip would hide
    an untested feature (shared data not beside the repository, an optional package or browser missing)."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str) -> ModuleType:
    """The module `name`, imported; when it is not installed, `require` decides: skip on a laptop, fail in CI."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        require(False, f"{name} is not installed ({e})")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "requires(condition, reason): run only when condition holds; "
                                       "otherwise skip, or fail in CI (see require)")
    config.addinivalue_line("markers", "requires_modules(*names): run only when these modules import; "
                                       "otherwise skip, or fail in CI (see require_module)")


@pytest.hookimpl(tryfirst=True)  # before any fixture is set up: a missing need costs no index build
def pytest_runtest_setup(item) -> None:
    """Apply the `requires` and `requires_modules` marks (on a test, a class or a module's pytestmark)."""
    for mark in item.iter_markers("requires"):
        require(*mark.args, **mark.kwargs)
    for mark in item.iter_markers("requires_modules"):
        for name in mark.args:
            require_module(name)


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
