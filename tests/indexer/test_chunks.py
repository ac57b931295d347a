from indexer.chunks import chunk_section, windows
from indexer.normalise import normalise
from indexer.sections import detect_sections
from quarry.analysis import sentence_spans
from quarry.embedders import HashEmbedder, token_counter
from tests.conftest import CORPUS, SEEDS


def test_windows_group_sentences_within_budget_with_overlap():
    # sizes 4, 4, 4, 4 with budget 8 -> [0,2) [1,3) [2,4)
    assert windows([(0, 1)] * 4, [4, 4, 4, 4], 8, 1) == [(0, 2), (1, 3), (2, 4)]
    assert windows([(0, 1)] * 3, [20, 1, 1], 8, 1) == [(0, 1), (1, 3)]  # an oversize sentence stands alone
    assert windows([(0, 1)] * 2, [1, 1], 8, 0) == [(0, 2)]


def all_chunks(count_tokens, max_tokens=200):
    for name in SEEDS.values():
        text = normalise([(CORPUS / f"{name}.txt").read_text(encoding="utf-8")]).text
        for section in detect_sections(name, text):
            for chunk in chunk_section(section, text, count_tokens, max_tokens, 1):
                yield text, section, chunk


def test_chunk_invariants_on_the_seed_corpus():
    count = token_counter("all-MiniLM-L6-v2")
    seen = set()
    for text, section, chunk in all_chunks(count):
        assert chunk.text.strip(), "empty chunk"
        assert text[chunk.char_start:chunk.char_end] == chunk.text, "span does not map back"
        assert chunk.chunk_id not in seen
        seen.add(chunk.chunk_id)
        body = text[section.char_start:section.char_end]
        starts = {section.char_start + s for s, _ in sentence_spans(body)} | {section.char_start}
        ends = {section.char_start + e for _, e in sentence_spans(body)} | {section.char_end}
        assert chunk.char_start in starts and chunk.char_end in ends, "a sentence was split"
    assert len(seen) > 100


def test_long_sections_are_windowed_under_the_budget():
    count = HashEmbedder().count_tokens
    chunks = [c for _, _, c in all_chunks(count, max_tokens=60)]
    multi = [c for c in chunks if c.section == "2"]
    assert len(multi) > 3
    assert all(count([c.text])[0] <= 60 or len(list(sentence_spans(c.text))) == 1 for c in chunks)
    # neighbouring windows of one section share a sentence
    assert any(a.char_end > b.char_start for a, b in zip(multi, multi[1:]))


def test_contents_table_is_never_chunked():
    assert all("Introduction\t1" not in c.text for _, _, c in all_chunks(HashEmbedder().count_tokens))
