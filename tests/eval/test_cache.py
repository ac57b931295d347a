"""The evaluation index cache is keyed by everything a build depends on, and nothing else."""

from indexer.build import Source
from eval.cache import cache_key, cached_index
from quarry.settings import Settings

DOCS = [Source("a", "a", {"title": "A"}, text="Alpha text."), Source("b", "b", None, text="Beta text.")]


def test_same_documents_and_settings_give_the_same_key_in_any_order():
    assert cache_key(DOCS, Settings(model="hash")) == cache_key(list(reversed(DOCS)), Settings(model="hash"))


def test_a_changed_document_title_model_or_chunking_changes_the_key():
    base = cache_key(DOCS, Settings(model="hash"))
    changed_text = [DOCS[0], Source("b", "b", None, text="Beta text, edited.")]
    changed_title = [Source("a", "a", {"title": "A2"}, text="Alpha text."), DOCS[1]]
    assert cache_key(changed_text, Settings(model="hash")) != base
    assert cache_key(changed_title, Settings(model="hash")) != base
    assert cache_key(DOCS, Settings(model="hash", max_chunk_tokens=64)) != base
    assert cache_key(DOCS, Settings(model="hash", bm25_k1=1.2)) != base


def test_search_time_settings_share_one_index():
    assert cache_key(DOCS, Settings(model="hash", fusion="weighted", candidates=50)) == cache_key(DOCS, Settings(model="hash"))


def test_the_cached_index_is_built_once_and_reused(tmp_path):
    settings = Settings(model="hash", eval_cache=str(tmp_path))
    first = cached_index("toy set", DOCS, settings)
    again = cached_index("toy set", DOCS, settings)
    assert first.index == again.index and first.index.startswith(str(tmp_path / "toy-set-"))
    assert len(list((tmp_path / first.index.rsplit("/", 1)[1] / "builds").iterdir())) == 1  # nothing rebuilt


def test_the_same_documents_under_another_name_share_the_index(tmp_path):
    settings = Settings(model="hash", eval_cache=str(tmp_path))
    first = cached_index("toy set", DOCS, settings)
    other = cached_index("toy set with another name", DOCS, settings)
    assert other.index == first.index and len(list(tmp_path.iterdir())) == 1
    changed = cached_index("toy set", DOCS[:1], settings)
    assert changed.index != first.index  # other documents: another index


def test_a_new_entry_starts_from_the_latest_of_its_name_and_leaves_it_intact(tmp_path):
    from pathlib import Path

    from search import open_index

    settings = Settings(model="hash", eval_cache=str(tmp_path))
    first = cached_index("toy set", DOCS, settings)
    old_build = Path(first.index, "current").resolve().name
    edited = [DOCS[0], Source("b", "b", None, text="Beta text, edited.")]
    second = cached_index("toy set", edited, settings)
    assert second.index != first.index
    assert (Path(second.index) / "builds" / old_build).is_dir()  # seeded from the first entry
    assert Path(second.index, "current").resolve().name != old_build  # then rebuilt: "b" changed
    assert any("edited" in c.text for c in open_index(second.index, second).chunks)
    assert not any("edited" in c.text for c in open_index(first.index, first).chunks)
    sharing = cached_index("toy", DOCS[:1], settings)  # another name, but document "a" is indexed already
    assert len(list((Path(sharing.index) / "builds").iterdir())) == 2  # seeded from the entry sharing most
    unrelated = cached_index("other", [Source("z", "z", None, text="Zeta text.")], settings)  # shares nothing
    assert list((Path(unrelated.index) / "builds").iterdir()) == [Path(unrelated.index, "current").resolve()]
