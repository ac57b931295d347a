from indexer.chunks import CHUNKED_KINDS, chunk_id, chunk_sections, heading_label, windows
from indexer.normalise import normalise
from indexer.sections import detect_sections
from quarry.analysis import sentence_spans
from quarry.embedders import HashEmbedder, token_counter
from quarry.records import Chunk
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
            for chunk in chunk_sections([section], text, count_tokens, max_tokens, 1):
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


def test_a_document_chunked_at_once_matches_its_sections_counted_one_by_one():
    """chunk_sections counts word-pieces in two calls per document and skips counting a section whose words
    alone exceed the budget; neither may change a chunk. Budgets around the seed sections' sizes hit both paths."""
    count = token_counter("all-MiniLM-L6-v2")
    calls = []

    def counting(texts):
        calls.append(len(texts))
        return count(texts)

    for name in SEEDS.values():
        text = normalise([(CORPUS / f"{name}.txt").read_text(encoding="utf-8")]).text
        sections = detect_sections(name, text)
        for budget in (40, 120, 200):
            one_by_one = [c for s in sections for c in _counted_each(s, text, count, budget)]
            calls.clear()
            assert chunk_sections(sections, text, counting, budget, 1) == one_by_one
            assert len(calls) <= 2


def _counted_each(section, text, count, budget):
    """The chunks of one section as chunking made them before: count the whole section, then its sentences."""
    if section.kind not in CHUNKED_KINDS or not text[section.char_start:section.char_end].strip():
        return []
    body = text[section.char_start:section.char_end]
    spans = [(section.char_start, section.char_end)]  # one chunk when it fits, else its sentences windowed
    sizes = [0]
    if count([body])[0] > budget:
        spans = [(section.char_start + s, section.char_start + e) for s, e in sentence_spans(body)]
        sizes = count([text[s:e] for s, e in spans])
    return [Chunk(chunk_id(section.doc_id, spans[i][0], spans[j - 1][1]), section.doc_id, section.number,
                  heading_label(section), section.heading_path, text[spans[i][0]:spans[j - 1][1]], spans[i][0],
                  spans[j - 1][1], None, None, section.kind) for i, j in windows(spans, sizes, budget, 1)]


def test_words_that_tokenise_to_nothing_are_not_taken_for_word_pieces():
    """Only a run holding an ASCII letter or digit is sure to be a word-piece: a section of 300 zero-width
    spaces and one sentence is counted (and fits), not assumed too long."""
    text = "Heading\n\n" + " ".join(["\u200b"] * 300) + " The end. It fits."
    sections = [s for s in detect_sections("d", text) if s.kind in CHUNKED_KINDS]
    body = text[sections[-1].char_start:sections[-1].char_end]
    count = token_counter("all-MiniLM-L6-v2")
    assert count([body])[0] < 20
    seen = []
    chunks = chunk_sections(sections, text, lambda texts: seen.extend(texts) or count(texts), 20, 1)
    assert body in seen
    assert [c.text for c in chunks] == [text[s.char_start:s.char_end] for s in sections]
