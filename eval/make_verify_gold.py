"""Generate eval/gold/verify.jsonl, the quote-checking gold set (#19), deterministically (seeded RNG).

    python -m eval.make_verify_gold [--docs corpus --docs ../shared/datasets/ofsted/focused_visits]
        [--other ../shared/datasets/cisi/corpus.jsonl --other ../shared/datasets/conditionalqa/corpus.jsonl]
        [--per-verdict 120] [--seed 19] [--out eval/gold/verify.jsonl]

Source sentences are taken from the documents' normalised text (the indexer's reader and normaliser,
i.e. the citation source of truth), body sections only, 10-40 words. From them:
- verbatim: the sentence as is; re-cased with straight/curly quotes swapped; with PDF line breaks and a
  line-end hyphen; with a middle stretch elided ("...", "[…]"); two neighbouring sentences as a paragraph;
- close: a comma dropped or added, a filler word dropped, British spelling made American;
- altered: a number, a date (month or year), a name (the authority), a negation ("not" added or removed),
  a quantifier or a comparative changed; `changed` records the claim's and the source's words;
- not_found: sentences of other corpora (CISI abstracts, ConditionalQA gov.uk pages).
The edits here are written independently of search/quote_text.py (their own word lists and regexes).
Every edited text is checked not to occur in any document (case, quotes, dashes and spacing ignored), so
an `altered` or `close` label can never be a sentence some other report says verbatim.
Rows: {"id", "text", "verdict", "kind", "doc"?, "span"?, "changed"?: [{"claim", "source"}]}.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from indexer.build import file_sources
from indexer.normalise import normalise
from indexer.sections import detect_sections
from quarry.analysis import sentence_spans

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
DEFAULT_DOCS = (ROOT / "corpus", SHARED / "ofsted" / "focused_visits")
DEFAULT_OTHER = (SHARED / "cisi" / "corpus.jsonl", SHARED / "conditionalqa" / "corpus.jsonl")
_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Sentence:
    doc: str  # path as the gold row names it: "<root folder>/<path below it>"
    doc_id: str
    authority: str | None
    text: str  # exact slice of the document's normalised text
    next_text: str | None  # the following sentence in the same section, if any
    gap: str  # the text between them


def flat(text: str) -> str:
    """What the absence check compares: lower case, no quote marks, one kind of dash, single spaces."""
    text = re.sub(r"[\"'`\u2018\u2019\u201c\u201d\u00ab\u00bb]", "", text.lower())
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = re.sub(r"-\s*\n\s*", "", text)
    return " ".join(text.split())


def _usable(s: str) -> bool:
    words = s.split()
    return (10 <= len(words) <= 40 and s.endswith(".") and "\n" not in s and "|" not in s
            and sum(1 for w in words if _WORD.fullmatch(w.strip(".,;:()"))) >= 0.7 * len(words))


def read_sentences(roots: list[Path]) -> tuple[list[Sentence], list[str]]:
    """Usable body sentences of every document, and each document's flattened text (for absence checks)."""
    sources, _ = file_sources(roots)
    out, flats = [], []
    for source in sorted(sources, key=lambda s: s.doc_id):
        text = normalise(source.read().pages).text
        flats.append(flat(text))
        path = Path(source.path)
        root = next(r for r in roots if path.is_relative_to(r.resolve()) or path.is_relative_to(r))
        doc = f"{root.name}/{path.relative_to(root).as_posix()}"
        authority = _folder_authority(path) or _short_name((source.entry or {}).get("authority"), text)
        for section in detect_sections(source.doc_id, text):
            if section.kind != "body":
                continue
            body = text[section.char_start:section.char_end]
            spans = list(sentence_spans(body))
            for i, (s, e) in enumerate(spans):
                sentence = body[s:e]
                if not _usable(sentence):
                    continue
                nxt = body[spans[i + 1][0]:spans[i + 1][1]] if i + 1 < len(spans) else None
                gap = body[e:spans[i + 1][0]] if nxt else ""
                out.append(Sentence(doc, source.doc_id, authority, sentence, nxt if nxt and _usable(nxt) and "\n" not in gap else None, gap))
    return out, flats


def _folder_authority(path: Path) -> str | None:
    """The authority in an Ofsted folder name ("80575_warrington" -> "Warrington")."""
    m = re.match(r"\d+_(.+)", path.parent.name)
    return m.group(1).title().replace(" And ", " and ").replace(" Of ", " of ").replace(" On ", " on ") if m else None


def _short_name(authority: str | None, text: str) -> str | None:
    """A catalogued authority as the text names it: in full, or its first word ("Wrexham County Borough Council" -> "Wrexham")."""
    if not authority:
        return None
    return authority if authority in text else authority.split()[0]


def other_sentences(files: list[Path]) -> list[str]:
    """Usable sentences from other corpora (BEIR corpus.jsonl rows)."""
    out = []
    for file in files:
        with file.open(encoding="utf-8") as f:
            for line in f:
                text = json.loads(line).get("text") or ""
                for s, e in sentence_spans(text):
                    if _usable(text[s:e]):
                        out.append(text[s:e])
    return out


# ---- edits ---------------------------------------------------------------------------------------

Edit = tuple[str, list[dict[str, str]]]  # (edited text, changed words)
_FILLER_DROPS = ("very", "also", "currently", "clearly", "further", "the")
_AMERICAN = [(r"\b(\w{3,})isation(s?)\b", r"\1ization\2"), (r"\b(\w{3,})ised\b", r"\1ized"), (r"\b(\w{3,})ising\b", r"\1izing"),
             (r"\b(behavi|col|fav|lab|neighb|hon|harb)our", r"\1or"), (r"\bcentre(s?)\b", r"center\1"), (r"\bprogramme", "program"),
             (r"\bjudgement", "judgment"), (r"\banalys(e|ed|es|ing)\b", r"analyz\1")]
_NOT_ISE = re.compile(r"(?:compr|desp|otherw|exerc|adv|prom|r|w|expert|prem|enterpr|superv|comprom|surpr|ra|rev|dev|ar|no|po|pra|franch|advert|telev|prec|conc|treat)is", re.I)
_MONTHS = "January February March April May June July August September October November December".split()
_AUX = re.compile(r"\b(is|are|was|were|has|have|had|can|will|should|does|do|did|could|would)\b(?! not\b)")
_QUANT = {"all": "some", "some": "all", "most": "few", "many": "few", "every": "no", "always": "sometimes",
          "several": "few", "few": "many", "majority": "minority"}
_COMPAR = {"more": "less", "less": "more", "higher": "lower", "lower": "higher", "better": "worse", "worse": "better",
           "increase": "decrease", "increased": "decreased", "decrease": "increase", "decreased": "increased",
           "greater": "smaller", "fewer": "more", "stronger": "weaker", "improved": "declined", "increasing": "decreasing"}


def _swap_word(s: str, table: dict[str, str], rng: random.Random) -> Edit | None:
    """Replace one word (case kept) found in `table`, chosen at random."""
    hits = [m for m in re.finditer(r"\b[A-Za-z]+\b", s) if m.group().lower() in table and m.start() > 0]
    if not hits:
        return None
    m = rng.choice(hits)
    new = table[m.group().lower()]
    return s[:m.start()] + new + s[m.end():], [{"claim": new, "source": m.group()}]


def edit_number(s: Sentence, rng: random.Random) -> Edit | None:
    hits = [m for m in re.finditer(r"(?<![\w.,/\u2010-\u2015-])\d+(?:\.\d+)?(?![\w/\u2010-\u2015-]|[.,]\d)", s.text) if not re.fullmatch(r"(19|20)\d\d", m.group())]
    if not hits:
        return None
    m = rng.choice(hits)
    old = m.group()
    new = str(round(float(old) + rng.choice([1, 2, 3, 5, 10]), 1)).removesuffix(".0") if "." in old else str(int(old) + rng.choice([1, 2, 3, 5, 10]))
    return s.text[:m.start()] + new + s.text[m.end():], [{"claim": new, "source": old}]


def edit_date(s: Sentence, rng: random.Random) -> Edit | None:
    months = [m for m in re.finditer(r"\b(" + "|".join(_MONTHS) + r")\b", s.text)]
    years = [m for m in re.finditer(r"(?<![\w/\u2010-\u2015-])(19|20)\d\d(?![\w/\u2010-\u2015-])", s.text)]
    if not months and not years:
        return None
    m = rng.choice(months + years)
    old = m.group()
    new = rng.choice([x for x in _MONTHS if x != old]) if old in _MONTHS else str(int(old) + rng.choice([-3, -2, -1, 1, 2]))
    return s.text[:m.start()] + new + s.text[m.end():], [{"claim": new, "source": old}]


def edit_name(s: Sentence, rng: random.Random, authorities: list[str]) -> Edit | None:
    if not s.authority or s.authority not in s.text[1:]:
        return None
    others = [a for a in authorities if a != s.authority and a.split()[0] != s.authority.split()[0]]
    if not others:
        return None
    new = rng.choice(others)
    old_words, new_words = s.authority.split(), new.split()
    while old_words and new_words and old_words[-1] == new_words[-1]:  # name only the words that differ
        old_words, new_words = old_words[:-1], new_words[:-1]
    at = s.text.index(s.authority, 1)
    return s.text[:at] + new + s.text[at + len(s.authority):], [{"claim": " ".join(new_words), "source": " ".join(old_words)}]


def edit_negation(s: Sentence, rng: random.Random) -> Edit | None:
    t = s.text
    nots = list(re.finditer(r" not\b", t))
    if nots:
        m = rng.choice(nots)
        return t[:m.start()] + t[m.end():], [{"claim": "", "source": "not"}]
    hits = list(_AUX.finditer(t))
    if not hits:
        return None
    m = rng.choice(hits)
    return t[:m.end()] + " not" + t[m.end():], [{"claim": "not", "source": ""}]


def edit_comma(s: Sentence, rng: random.Random) -> Edit | None:
    commas = [m.start() for m in re.finditer(r",(?= )", s.text)]
    if commas:
        at = rng.choice(commas)
        return s.text[:at] + s.text[at + 1:], [{"claim": "", "source": ","}]
    gaps = [m.start() for m in re.finditer(r"(?<=[a-z]) (?=(which|and|but|although|because)\b)", s.text)]
    if not gaps:
        return None
    at = rng.choice(gaps)
    return s.text[:at] + "," + s.text[at:], [{"claim": ",", "source": ""}]


def edit_filler(s: Sentence, rng: random.Random) -> Edit | None:
    hits = [m for m in re.finditer(r"\b(" + "|".join(_FILLER_DROPS) + r") ", s.text) if m.start() > 0]
    if not hits:
        return None
    m = rng.choice(hits)
    return s.text[:m.start()] + s.text[m.end():], [{"claim": "", "source": m.group(1)}]


def edit_spelling(s: Sentence, rng: random.Random) -> Edit | None:
    options = []
    for pattern, repl in _AMERICAN:
        for m in re.finditer(pattern, s.text):
            if not _NOT_ISE.match(m.group()):  # words spelt -ise in American English too
                options.append((m, re.sub(pattern, repl, m.group())))
    if not options:
        return None
    m, new = rng.choice(options)
    return s.text[:m.start()] + new + s.text[m.end():], [{"claim": new, "source": m.group()}]


# ---- verbatim variants ---------------------------------------------------------------------------

_CURLY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def recase_quotes(s: Sentence, rng: random.Random) -> str:
    """Lower case (or upper first letter only), curly quotes straightened, the whole wrapped in quotes."""
    t = s.text.translate(_CURLY)
    t = re.sub(r"'(\w)", "\u2018\\1", t) if "'" in t and rng.random() < 0.3 else t
    t = t.lower() if rng.random() < 0.7 else t
    return rng.choice(['"{}"', "\u201c{}\u201d", "\u2018{}\u2019"]).format(t)


def pdf_wrap(s: Sentence, rng: random.Random) -> str | None:
    """Hard line breaks at a few spaces and one long word broken with a line-end hyphen, as copied from a PDF."""
    words = s.text.split(" ")
    long_words = [i for i, w in enumerate(words) if re.fullmatch(r"[a-z]{9,}[.,]?", w)]
    if not long_words:
        return None
    i = rng.choice(long_words)
    cut = rng.randint(3, len(words[i].rstrip(".,")) - 3)
    words[i] = words[i][:cut] + "-\n" + words[i][cut:]
    breaks = set(rng.sample(range(1, len(words)), min(3, len(words) - 1)))
    return "".join((("\n" if j in breaks else " ") if j else "") + w for j, w in enumerate(words))


def elide(s: Sentence, rng: random.Random) -> tuple[str, str] | None:
    """A middle stretch of 3+ words left out, or the end of one sentence and start of the next: (text, span)."""
    if s.next_text and rng.random() < 0.4:
        a, b = s.text.split(" "), s.next_text.split(" ")
        return " ".join(a[:max(4, len(a) // 2)]) + rng.choice([" ... ", " [\u2026] "]) + " ".join(b[len(b) // 2:]), s.text + s.gap + s.next_text
    words = s.text.split(" ")
    if len(words) < 12:
        return None
    start = rng.randint(4, len(words) - 8)
    stop = start + rng.randint(3, min(8, len(words) - start - 4))
    return " ".join(words[:start]) + rng.choice([" ... ", " \u2026 ", " [...] "]) + " ".join(words[stop:]), s.text


def generate(sentences: list[Sentence], flats: list[str], others: list[str], per_verdict: int, seed: int) -> list[dict]:
    """The gold rows: `per_verdict` of each verdict, spread over the edit kinds."""
    rng = random.Random(seed)
    pool = sentences[:]
    rng.shuffle(pool)
    pool.sort(key=lambda s: not s.doc.startswith("corpus/"))  # seed documents first, then the letters (stable)
    seeds = [s for s in pool if s.doc.startswith("corpus/")]
    letters = [s for s in pool if not s.doc.startswith("corpus/")]
    order = _interleave(seeds, letters, every=4)  # one sentence in four from the seed documents while they last
    authorities = sorted({s.authority for s in sentences if s.authority and "Council" not in s.authority})
    collection = "\n".join(flats)
    absent = lambda text: flat(text) not in collection  # noqa: E731
    used: set[str] = set()
    rows: list[dict] = []

    def take(verdict: str, kind: str, n: int, make: Callable[[Sentence], tuple[str, str, list[dict]] | None]) -> None:
        got = 0
        for s in order:
            if got >= n:
                return
            if s.text in used:
                continue
            made = make(s)
            if made is None:
                continue
            text, span, changed = made
            if verdict != "verbatim" and not absent(text):
                continue
            used.add(s.text)
            row = {"id": f"verify-{len(rows) + 1:04d}", "text": text, "verdict": verdict, "kind": kind, "doc": s.doc, "span": span}
            if changed:
                row["changed"] = changed
            rows.append(row)
            got += 1

    def edited(fn) -> Callable[[Sentence], tuple[str, str, list[dict]] | None]:
        def make(s: Sentence):
            e = fn(s, rng)
            return None if e is None else (e[0], s.text, e[1])
        return make

    q = per_verdict
    take("verbatim", "sentence", q - 4 * (q // 5), lambda s: (s.text, s.text, []))
    take("verbatim", "case and quotes", q // 5, lambda s: (recase_quotes(s, rng), s.text, []))
    take("verbatim", "pdf line breaks", q // 5, lambda s: (lambda t: t and (t, s.text, []))(pdf_wrap(s, rng)))
    take("verbatim", "elision", q // 5, lambda s: (lambda e: e and (e[0], e[1], []))(elide(s, rng)))
    take("verbatim", "paragraph", q // 5, lambda s: s.next_text and (s.text + " " + s.next_text, s.text + s.gap + s.next_text, []))
    take("close", "punctuation", q - 2 * (q // 3), edited(edit_comma))
    take("close", "filler", q // 3, edited(edit_filler))
    take("close", "spelling", q // 3, edited(edit_spelling))
    kinds = [("number", edited(edit_number)), ("date", edited(edit_date)),
             ("name", edited(lambda s, r: edit_name(s, r, authorities))), ("negation", edited(edit_negation)),
             ("quantifier", edited(lambda s, r: _swap_word(s.text, _QUANT, r))), ("comparative", edited(lambda s, r: _swap_word(s.text, _COMPAR, r)))]
    for i, (kind, make) in enumerate(kinds):
        take("altered", kind, q // len(kinds) + (1 if i < q % len(kinds) else 0), make)
    rng.shuffle(others)
    for text in others:
        if sum(r["verdict"] == "not_found" for r in rows) >= q:
            break
        if absent(text):
            rows.append({"id": f"verify-{len(rows) + 1:04d}", "text": text, "verdict": "not_found", "kind": "other corpus"})
    return rows


def _interleave(a: list, b: list, every: int) -> Iterator:
    """Items of b with one of a before every `every`-1 of them, then what is left of either."""
    ia, ib = iter(a), iter(b)
    while True:
        x = next(ia, None)
        if x is not None:
            yield x
        chunk = [y for _, y in zip(range(every - 1), ib)]
        yield from chunk
        if x is None and not chunk:
            return


def main(argv: list[str] | None = None) -> None:
    """Write the gold set and print how many rows of each verdict and kind it holds."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--docs", type=Path, action="append", help="document folders (default: corpus/ and the Ofsted focused visits)")
    p.add_argument("--other", type=Path, action="append", help="BEIR corpus.jsonl files for not_found sentences")
    p.add_argument("--per-verdict", type=int, default=120)
    p.add_argument("--seed", type=int, default=19)
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "gold" / "verify.jsonl")
    args = p.parse_args(argv)
    sentences, flats = read_sentences(list(args.docs or DEFAULT_DOCS))
    others = other_sentences(list(args.other or DEFAULT_OTHER))
    rows = generate(sentences, flats, others, args.per_verdict, args.seed)
    with args.out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for r in rows:
        counts[f"{r['verdict']}/{r['kind']}"] = counts.get(f"{r['verdict']}/{r['kind']}", 0) + 1
    print(f"{len(rows)} rows -> {args.out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
