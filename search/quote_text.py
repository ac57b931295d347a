"""Pure text functions behind quote checking: tokens with offsets, alignment, and word differences.

A claim and a source are compared as sequences of token keys: words lower-cased, with curly and
straight apostrophes alike, dashes and PDF line-end hyphens joined away ("multi-\\nagency" ==
"multi-agency" == "multiagency"), quote marks dropped, other punctuation kept as one-character
tokens. Every source token keeps its character span, so any aligned stretch maps back to an exact
slice of the normalised text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import NamedTuple

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_QUOTES = "'\"`\u00b4\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033\u00ab\u00bb\u2039\u203a"
_APOSTROPHES = "'\u2019\u2018`"
# Inside a word: a decimal point or thousands comma between digits, an apostrophe before a letter,
# or a dash between letters or digits, optionally followed by a PDF line break ("multi-\n agency") or,
# when copied from a PDF, a space before a lower-case letter ("recog- nised").
_JOIN = rf"(?:(?<=\d)[.,](?=\d)|[{_APOSTROPHES}](?=[^\W_])|[{_DASHES}](?:[ \t]*\n[ \t]*|[ \t]+(?=[a-z]))?(?=[^\W_]))"
_TOKEN = re.compile(rf"[^\W_]+(?:{_JOIN}[^\W_]+)*|[^\w\s]")
# "...", ". . .", "…", "[...]", "[…]", "(...)" mark left-out words.
_ELISION = re.compile(r"\s*(?:[\[(]\s*(?:(?:\.\s*){3,}|\u2026)\s*[\])]|(?:\.\s*){2}\.+|\u2026)\s*")
_STRIP_KEY = re.compile(rf"[{_DASHES}\s]+")
_SENTENCE_END = {".", "!", "?"}


_KEY_TABLE = str.maketrans({**{d: None for d in _DASHES}, " ": None, "\t": None, "\n": None,
                            **{a: "'" for a in _APOSTROPHES[1:]}})


class Token(NamedTuple):
    """A word or punctuation mark: its comparison key and its character span in the text."""

    key: str
    start: int
    end: int


def token_key(surface: str) -> str:
    """The comparison key of a token's text: NFKC, lower case, one apostrophe, no dashes or spaces inside."""
    if len(surface) == 1:
        return "-" if surface in _DASHES else surface.lower()
    if not surface.isascii():
        surface = unicodedata.normalize("NFKC", surface)
    return surface.lower().translate(_KEY_TABLE)


def tokens(text: str, offset: int = 0) -> list[Token]:
    """Tokens of `text` with spans shifted by `offset`; quote marks are dropped."""
    out = []
    for m in _TOKEN.finditer(text):
        surface = m.group()
        if surface in _QUOTES:
            continue
        out.append(Token(token_key(surface), offset + m.start(), offset + m.end()))
    return out


def is_word(key: str) -> bool:
    """True for a word or number token (not punctuation)."""
    return key[:1].isalnum()


_PAIRS = {")": "(", "]": "["}
_KEEP_AT_EDGE = frozenset("%£$€#&")  # signs that are part of what is said ("30%", "£4m")


def trim_punctuation(toks: list[Token]) -> tuple[list[Token], str | None]:
    """A claim part without leading and trailing punctuation (a bracket closing one opened inside stays),
    and the sentence end it had ("." or None)."""
    end = None
    while toks and not is_word(toks[-1].key):
        key = toks[-1].key
        if key in _KEEP_AT_EDGE or (key in _PAIRS and any(t.key == _PAIRS[key] for t in toks)):
            break
        end = end or (key if key in _SENTENCE_END else None)
        toks = toks[:-1]
    while toks and not is_word(toks[0].key):
        if toks[0].key in _KEEP_AT_EDGE or toks[0].key in _PAIRS.values() and any(_PAIRS.get(t.key) == toks[0].key for t in toks):
            break
        toks = toks[1:]
    return toks, end


@dataclass(frozen=True)
class Alignment:
    """Where a claim part best matches a token sequence: tokens [start, end) and the edit opcodes."""

    start: int
    end: int
    opcodes: tuple[tuple[str, int, int, int, int], ...]  # difflib opcodes: claim indices, then source indices from `start`
    matched: int  # words (not punctuation) in equal runs
    claim_words: int
    source_words: int

    @property
    def exact(self) -> bool:
        return all(tag == "equal" for tag, *_ in self.opcodes)

    @property
    def similarity(self) -> float:
        """Dice overlap of words: 2 * matched / (claim words + source words)."""
        total = self.claim_words + self.source_words
        return 2 * self.matched / total if total else 0.0


def find_exact(claim: list[str], source: list[str], lo: int, hi: int, last: bool = False) -> int | None:
    """Token index of the first (or last) occurrence of `claim` in source[lo:hi], or None."""
    n = len(claim)
    first = claim[0]
    positions = range(hi - n, lo - 1, -1) if last else range(lo, hi - n + 1)
    for i in positions:
        if source[i] == first and source[i:i + n] == claim:
            return i
    return None


def _words(keys: list[str]) -> int:
    return sum(1 for k in keys if is_word(k))


def _clusters(blocks: list[tuple[int, int, int]], slack: int) -> list[list[tuple[int, int, int]]]:
    """Matching blocks grouped where the source does not run on far longer than the claim between them."""
    groups: list[list[tuple[int, int, int]]] = []
    for block in blocks:
        if groups:
            a0, b0, n0 = groups[-1][-1]
            if (block[1] - (b0 + n0)) - (block[0] - (a0 + n0)) <= slack:
                groups[-1].append(block)
                continue
        groups.append([block])
    return groups


def align(claim: list[str], source: list[str], lo: int = 0, hi: int | None = None, last: bool = False) -> Alignment | None:
    """The best match of claim keys in source[lo:hi]: an exact occurrence if any, else the densest
    run of matching words (difflib), widened by the claim's unmatched head and tail; None if no word matches."""
    hi = len(source) if hi is None else hi
    if not claim or hi <= lo:
        return None
    at = find_exact(claim, source, lo, hi, last)
    if at is not None:
        n = _words(claim)
        return Alignment(at, at + len(claim), (("equal", 0, len(claim), 0, len(claim)),), n, n, n)
    blocks = [tuple(b) for b in SequenceMatcher(None, claim, source[lo:hi], autojunk=False).get_matching_blocks() if b.size]
    blocks = [(a, b + lo, n) for a, b, n in blocks if _words(claim[a:a + n])]
    if not blocks:
        return None
    groups = _clusters(blocks, max(4, len(claim) // 3))
    weight = [sum(_words(claim[a:a + n]) for a, _, n in g) for g in groups]
    best = max(range(len(groups)), key=lambda i: (weight[i], i if last else -i))
    group = groups[best]
    (a0, b0, _), (a1, b1, n1) = group[0], group[-1]
    start = max(lo, b0 - a0)
    end = min(hi, b1 + n1 + (len(claim) - (a1 + n1)))
    span = source[start:end]
    opcodes = tuple(SequenceMatcher(None, claim, span, autojunk=False).get_opcodes())
    matched = sum(_words(claim[i1:i2]) for tag, i1, i2, _, _ in opcodes if tag == "equal")
    return Alignment(start, end, opcodes, matched, _words(claim), _words(span))


def realign(claim: list[str], source: list[str], start: int, end: int) -> Alignment:
    """The alignment of claim keys with exactly source[start:end]."""
    span = source[start:end]
    opcodes = tuple(SequenceMatcher(None, claim, span, autojunk=False).get_opcodes())
    matched = sum(_words(claim[i1:i2]) for tag, i1, i2, _, _ in opcodes if tag == "equal")
    return Alignment(start, end, opcodes, matched, _words(claim), _words(span))


def to_sentence_end(claim: list[str], source: list[str], a: Alignment, mark: str, reach: int = 4) -> Alignment:
    """When a claim that ends its sentence ends on a difference, stretch the source to its own sentence end
    (at most `reach` more words), so a changed name or number is shown whole ("York" vs "Cardiff City Council")."""
    if a.exact or a.opcodes[-1][0] == "equal" or (a.end < len(source) and source[a.end] == mark):
        return a
    for end in range(a.end, min(len(source), a.end + reach + 1)):
        if source[end] == mark:
            return realign(claim, source, a.start, end)
        if not is_word(source[end]):
            break
    return a


# ---- what a difference means -------------------------------------------------------------------

_NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion half "
    "halves third thirds quarter quarters double twice treble triple once dozen dozens first second fourth fifth".split())
_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday".split())
_NEGATIONS = frozenset(
    "not no never none nor neither nothing nobody nowhere cannot without lack lacks lacking absent "
    "don't doesn't didn't isn't aren't wasn't weren't hasn't haven't hadn't won't wouldn't can't couldn't "
    "shouldn't mustn't n't".split())
_QUANTIFIERS = frozenset(
    "all some most many few every each any several majority minority much none both whole entire numerous "
    "various always sometimes often usually rarely seldom occasionally frequently mostly only little "
    "consistently inconsistently generally".split())
_COMPARATIVES = frozenset(
    "more less fewer better worse higher lower greater larger smaller bigger increase increased increases "
    "increasing decrease decreased decreases decreasing rise rose risen rising fall fell fallen falling "
    "improved improve improving declined decline declining reduced reduce reducing above below over under "
    "least best worst highest lowest earlier later faster slower stronger weaker up down".split())
_FILLERS = frozenset(
    "the a an that very really also just quite actually indeed then so currently clearly generally overall "
    "further particularly now already still well".split())
_NEGATING_PREFIXES = ("un", "in", "im", "il", "ir", "dis", "non")
_SPELLING_WORDS = {
    "programme": "program", "judgement": "judgment", "ageing": "aging", "acknowledgement": "acknowledgment",
    "enrolment": "enrollment", "fulfil": "fulfill", "skilful": "skillful", "practise": "practice", "practised": "practiced",
    "practising": "practicing", "licence": "license", "defence": "defense", "offence": "offense", "pretence": "pretense",
    "grey": "gray", "mould": "mold", "foetus": "fetus", "manoeuvre": "maneuver", "cheque": "check", "towards": "toward",
    "amongst": "among", "whilst": "while", "learnt": "learned",
}
_SPELLING_RULES = (
    (re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations|er|ers)$"), r"iz\1"),  # organise -> organize
    (re.compile(r"(?<=[a-z])ys(e|es|ed|ing)$"), r"yz\1"),  # analyse -> analyze
    (re.compile(r"(?<=[a-z]{3})our(?=s?$|ed$|ing$|ite|able|ful|ab|er)"), "or"),  # behaviour -> behavior
    (re.compile(r"(?<=[a-z]{3})tre(s?)$"), r"ter\1"),  # centre -> center
    (re.compile(r"(?<=[a-z]{3})ogue(s?)$"), r"og\1"),  # catalogue -> catalog
    (re.compile(r"(?<=[a-z]{4})ll(ed|ing|er|ers)$"), r"l\1"),  # travelled -> traveled
    (re.compile(r"(?<=[a-z])ae(?=[a-z])"), "e"),  # paediatric -> pediatric
)
_MEANING_KINDS = ("negation", "number", "date", "quantifier", "comparative", "name", "word")


def spelling_key(word: str) -> str:
    """One spelling for British and American variants ("organisation" and "organization" agree)."""
    stem, plural = (word[:-1], "s") if word.endswith("s") and word[:-1] in _SPELLING_WORDS else (word, "")
    if stem in _SPELLING_WORDS:
        return _SPELLING_WORDS[stem] + plural
    for pattern, repl in _SPELLING_RULES:
        word = pattern.sub(repl, word)
    return word


def number_value(key: str) -> float | None:
    """The value of a numeric token ("1,000" -> 1000.0), or None."""
    try:
        return float(key.replace(",", ""))
    except ValueError:
        return None


def _is_number(key: str) -> bool:
    return any(ch.isdigit() for ch in key) or key in _NUMBER_WORDS


def _is_date(key: str) -> bool:
    return key in _MONTHS or (len(key) == 4 and key.isdigit() and key[:2] in ("19", "20"))


def _plain(keys: list[str]) -> list[str]:
    """Words only, with "%" and "per cent" as one word and apostrophes dropped."""
    text = " ".join(k for k in keys if is_word(k) or k == "%").replace("'", "")
    text = re.sub(r"\bper cent\b|%", "percent", text)
    return text.split()


def _negates(a: str, b: str) -> bool:
    """True when one word is the other with a negating prefix ("safe" / "unsafe")."""
    short, long_ = sorted((a, b), key=len)
    return any(long_ == p + short for p in _NEGATING_PREFIXES)


def benign_kind(claim: list[str], source: list[str]) -> str | None:
    """The kind of a difference that does not change meaning, or None if it may."""
    a, b = _plain(claim), _plain(source)
    if a == b:
        return "punctuation"
    if "".join(a) == "".join(b):
        return "spacing"
    if len(a) == len(b) and all(x == y or number_value(x) == number_value(y) is not None for x, y in zip(a, b)):
        return "number format"
    if len(a) == len(b) and all(spelling_key(x) == spelling_key(y) for x, y in zip(a, b)):
        return "spelling"
    a2, b2 = [spelling_key(w) for w in a if w not in _FILLERS], [spelling_key(w) for w in b if w not in _FILLERS]
    if a2 == b2:
        return "filler"
    return None


def meaning_kind(claim: list[str], source: list[str], capitalised: bool) -> str:
    """What a meaning-changing difference touches: negation, number, date, quantifier, comparative, name or word."""
    words = set(_plain(claim)) ^ set(_plain(source)) or set(_plain(claim)) | set(_plain(source))
    if words & _NEGATIONS or any(_negates(x, y) for x in _plain(claim) for y in _plain(source)):
        return "negation"
    if any(_is_date(w) for w in words):
        return "date"
    if any(_is_number(w) for w in words):
        return "number"
    if words & _QUANTIFIERS:
        return "quantifier"
    if words & _COMPARATIVES:
        return "comparative"
    return "name" if capitalised else "word"


def is_meaning_kind(kind: str) -> bool:
    """True for the kinds of difference that change what the text says."""
    return kind in _MEANING_KINDS


def elided_parts(text: str) -> list[tuple[int, int]]:
    """(start, end) of each stretch of `text` between elision marks, in order."""
    out, at = [], 0
    for m in _ELISION.finditer(text):
        out.append((at, m.start()))
        at = m.end()
    out.append((at, len(text)))
    return [(s, e) for s, e in out if e > s]


def capitalised(seq: list[Token] | tuple[Token, ...], i1: int, i2: int, text: str) -> bool:
    """True when a word of seq[i1:i2] is capitalised but not sentence-initial (a name), in a text that uses case."""
    if text.upper() == text or text.lower() == text:
        return False
    for i in range(max(i1, 1), i2):
        t = seq[i]
        if is_word(t.key) and text[t.start:t.start + 1].isupper() and seq[i - 1].key not in (".", "!", "?", ":", ";", "-", "("):
            return True
    return False




def keys(text: str) -> list[str]:
    """The token keys of `text` without their spans: the fast path for indexing a whole collection."""
    out = []
    for surface in _TOKEN.findall(unicodedata.normalize("NFKC", text).lower()):
        if surface in _QUOTES:
            continue
        out.append(surface.translate(_KEY_TABLE) if len(surface) > 1 else ("-" if surface in _DASHES else surface))
    return out
