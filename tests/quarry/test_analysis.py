"""BM25 terms without NLTK: PyStemmer's Snowball stems the seed corpus exactly as NLTK's SnowballStemmer did."""

import subprocess
import sys

import pytest

from quarry.analysis import _PERCENT, TOKEN, stem, stopwords, terms
from tests.conftest import CORPUS, ROOT, require_module


def _tokens(text: str) -> set[str]:
    """Every token `terms` would stem (before stop words), as terms() cleans it."""
    out = set()
    for t in TOKEN.findall(_PERCENT.sub(" percent ", text).lower()):
        t = t.strip(".'\u2019")
        if t:
            out.add(t.replace("\u2019", "'"))
    return out


def test_every_token_of_the_seed_corpus_stems_as_nltk_did():
    snowball = require_module("nltk.stem.snowball")
    nltk_stemmer = snowball.SnowballStemmer("english")
    tokens = set().union(*(_tokens(p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.txt"))))
    assert len(tokens) > 2000
    differ = {t: (nltk_stemmer.stem(t), stem(t)) for t in sorted(tokens) if nltk_stemmer.stem(t) != stem(t)}
    assert differ == {}


def test_known_differences_from_nltk_are_only_a_kept_final_e():
    """NLTK's region bookkeeping after a step-2 replacement keeps an "e" that Snowball 2.2 removes
    (the only differences across the project's datasets; see quarry/analysis.py)."""
    assert [stem(w) for w in ("realization", "relationally", "generationally", "notationally")] == \
        ["realiz", "relat", "generat", "notat"]
    # Snowball 2.2, not 3.x: these changed in Snowball 3 and are in the seed corpus
    assert [stem(w) for w in ("added", "emergency", "evening", "internal", "university")] == \
        ["ad", "emerg", "even", "intern", "univers"]


def test_the_stop_words_are_bm25s_english_list():
    bm25s_stopwords = require_module("bm25s.stopwords")
    assert stopwords() == frozenset(bm25s_stopwords.STOPWORDS_EN_PLUS) and len(stopwords()) == 179


def test_terms_drop_stop_words_stem_english_and_leave_welsh_lines():
    assert terms("The children were looked after; 22% of carers") == ["children", "look", "22", "percent", "carer"]
    welsh = "Mae gan yr awdurdod lleol gynlluniau ar gyfer plant sy'n derbyn gofal"
    assert "gynlluniau" in terms(welsh) and "cynllun" not in terms(welsh)


LIGHT = """
import sys
from cli.main import main
code = main(["search", "foster carers", "--index", sys.argv[1], "--mode", "bm25", "--json", "-k", "3"])
heavy = sorted(m for m in ("nltk", "scipy", "torch", "sklearn", "numba", "bm25s", "faiss", "sentence_transformers") if m in sys.modules)
print("HEAVY", code, ",".join(heavy) or "-", file=sys.stderr)
"""


def test_a_bm25_search_imports_no_nltk_scipy_torch_or_faiss(hash_index):
    out = subprocess.run([sys.executable, "-c", LIGHT, hash_index.index], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count('"rank"') == 3
    assert out.stderr.strip().splitlines()[-1] == "HEAVY 0 -"


INT8 = """
import sys
from cli.main import main
code = main(["search", "foster carers", "--index", sys.argv[1], "--mode", "hybrid", "--json", "-k", "3",
             "--query-model", "all-MiniLM-L6-v2-int8"])
print("HEAVY", code, ",".join(sorted(m for m in ("nltk", "scipy", "torch", "sentence_transformers") if m in sys.modules)) or "-",
      file=sys.stderr)
"""


@pytest.mark.slow
def test_a_hybrid_search_with_the_int8_query_model_imports_no_torch(real_index):
    out = subprocess.run([sys.executable, "-c", INT8, real_index.index], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count('"rank"') == 3
    assert out.stderr.strip().splitlines()[-1] == "HEAVY 0 -"
