"""Who speaks and about what: "What did CIW say about Cardiff's safeguarding?" -> (CIW, Cardiff's safeguarding),
and how a speaker is told apart from the documents (search/answer_summary.py answers the question).

`summary_request` recognises "What did/does X say/find/note about Y", "Summarise what X says about Y" and
"Summarise Y in X"; `speaker_words` are the words a document's publisher or title must hold to be the
speaker's own; `speaker_query` the words to search for when the documents quote the speaker instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from quarry.analysis import TOKEN
from quarry.records import DocInfo
from search.answer_candidates import term_set

_SAY = (r"(?:say|says|said|write|writes|wrote|report|reports|reported|find|finds|found|conclude|concludes|concluded|"
        r"note|notes|noted|comment|comments|commented|observe|observes|observed|think|thinks|thought|"
        r"have to say|has to say|had to say|tell us|tells us|told us)")
_ABOUT = r"(?:about|on|regarding|concerning|in relation to|of)"
_FORMS = (
    # "What did CIW say about X?", "What does the 2019 letter say about X?", "What have inspectors found about X?"
    re.compile(rf"^\s*(?:so,?\s+)?(?:what|how)\s+(?:did|does|do|has|have|had|was|were)\s+(?P<who>.+?)\s+{_SAY}\s+"
               rf"{_ABOUT}\s+(?P<topic>.+?)\s*[?.!]*\s*$", re.I | re.S),
    # "Summarise what the 2021 Wrexham letter says about care leavers"
    re.compile(rf"^\s*(?:please\s+)?(?:summari[sz]e|sum up|outline|give (?:me )?(?:a |an )?(?:summary|overview) of)\s+"
               rf"(?:what|how)\s+(?P<who>.+?)\s+{_SAY}\s+{_ABOUT}\s+(?P<topic>.+?)\s*[?.!]*\s*$", re.I | re.S),
    # "Summarise the findings on care leavers in the 2021 Wrexham letter"
    re.compile(r"^\s*(?:please\s+)?(?:summari[sz]e|sum up|outline)\s+(?P<topic>.+?)\s+(?:in|from|according to)\s+"
               r"(?P<who>(?:the\s+|an?\s+)?[^?]*?\b(?:report|letter|review|visit|inspection|inspectors?|CIW|CSSIW|Ofsted)\b"
               r"[^?]*?)\s*[?.!]*\s*$", re.I | re.S),
)
# "X in Y's report" / "X in the 2019 letter": the document named after the topic belongs to who speaks
_TRAILING_SOURCE = re.compile(r"\s+(?:in|from|according to)\s+(?P<source>(?:the\s+|an?\s+|its\s+|their\s+)?[^?]*?\b"
                              r"(?:report|letter|review|visit|inspection)s?\b[^?]*)$", re.I)
_TOPIC_FRAME = re.compile(r"^(?:the\s+)?(?:findings|comments|remarks|conclusions|view|views|points|messages)\s+"
                          r"(?:on|about|regarding|of)\s+", re.I)
# who speaks -> words a document's publisher or title must hold ("the inspectors": any inspectorate)
_SPEAKERS = {"inspector": ("inspectorate", "ofsted", "ciw", "cssiw"), "inspectorate": ("inspectorate", "ofsted", "ciw", "cssiw")}
_DOCUMENT_TERMS = term_set("report reports letter letters document annual review visit findings main")


@dataclass(frozen=True)
class SummaryRequest:
    """A "what did X say about Y" question: who speaks (X, often naming the document) and the topic (Y)."""

    source: str
    topic: str


def summary_request(question: str) -> SummaryRequest | None:
    """The speaker and topic of a summary question, or None for any other question."""
    for form in _FORMS:
        m = form.match(question)
        if m:
            who, topic = " ".join(m.group("who").split()), " ".join(m.group("topic").split())
            trailing = _TRAILING_SOURCE.search(topic)
            if trailing and trailing.start() > 0:
                who, topic = f"{who} {trailing.group('source')}", topic[:trailing.start()]
            topic = _TOPIC_FRAME.sub("", topic).strip(" ,")
            if topic and len(topic.split()) <= 20:
                return SummaryRequest(who, topic)
    return None


def speaker_words(source: str) -> frozenset[str]:
    """Terms a named document's publisher or title must hold for the speaker: "CIW" -> {"ciw"}; "the
    inspectors" -> any inspectorate; "Wrexham's annual report" -> none (the interpretation reads that)."""
    out: set[str] = set()
    for word in re.findall(r"[A-Za-z]+", source):
        low = word.lower().rstrip("s") if word.islower() else word.lower()
        if low in _SPEAKERS:
            out |= set(_SPEAKERS[low])
        elif word.isupper() and len(word) >= 3:  # an acronym: CIW, CSSIW, OFSTED
            out.add(word.lower())
        elif word == "Ofsted":
            out.add("ofsted")
    return frozenset(out)


def spoken_by(info: DocInfo, speaker: frozenset[str]) -> bool:
    """Whether the document's publisher or title holds one of the speaker's words (`speaker_words`)."""
    said = " ".join(x for x in (info.publisher, info.title) if x).lower()
    return any(re.search(rf"\b{re.escape(w)}\b", said) for w in speaker)


def speaker_query(source: str, metadata: frozenset[str]) -> str:
    """Who speaks, as words to search for where the documents quote them ("the CSSIW regional director",
    "the 2009 fostering inspection", "young people who left care" in a council's report): the words of
    `source` less stopwords, numbers, document words ("the report", "letter") and the terms of the
    documents' own metadata (`metadata`: their title, authority, publisher and type)."""
    out = []
    for token in TOKEN.findall(source):
        word = re.sub(r"['\u2019]s$", "", token)
        found = term_set(word)
        if found and not word.isdigit() and not found & (metadata | _DOCUMENT_TERMS):
            out.append(word)
    return " ".join(out)


# heads that say how a topic is asked about, not what it is: "adoption service", "the quality of practice",
# "repeat missing episodes" (how often), "the effect of COVID-19 on ..." (its relation to something else)
_GENERIC_HEADS = frozenset("service services work practice practices arrangement arrangements support provision approach "
                           "approaches performance quality progress use management response responses experience experiences "
                           "outcome outcomes offer help care issue issues matter matters area areas activity activities "
                           "system systems process processes arrangements findings things episodes incidents instances cases occurrences "
                           "levels numbers figures rates trends effect effects impact impacts influence role extent nature state".split())
_HEAD_END = frozenset("for of in to with among across at on from by about who that which where when whose and or "
                      "during within between including especially".split())


def topic_head(topic: str) -> str | None:
    """The word a summary's topic is about, which its quotes must say (or have a neighbour of): the last word of
    its first phrase ("kinship care allowances" -> "allowances", "short breaks for disabled children" -> "breaks");
    None when that word is a generic head ("adoption service", "the quality of practice") or a possessive."""
    phrase: list[str] = []
    for w in re.findall(r"[\w'\u2019-]+", topic):
        if w.lower() in _HEAD_END:
            break
        phrase.append(w)
    if not phrase:
        return None
    head = phrase[-1]
    if head.lower() in _GENERIC_HEADS or re.search(r"['\u2019]s?$", head) or not term_set(head):
        return None
    return head
