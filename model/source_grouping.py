"""Who said it: an article's source mentions grouped into distinct sources.

The model (or a labeller) marks *mentions* in sentences: "Belgorod's governor
Vyacheslav Gladkov", later "He".  :func:`group_mentions` decides which mentions
name the same source, left to right, with four explainable rules, tried in
this order for each mention (docs/scoring.md, "Sources"):

1. **pronoun**: he/she/him/her go to the nearest earlier source group that
   looks like a person, it/its to the nearest that looks like an organisation,
   they/them/we to the nearest of any kind; the group must have the same type;
2. **same name**: the same words (case, leading "the"/"a", possessive "'s"
   and a bracketed acronym ignored), or a name whose last word is the last
   word of an earlier name of the same type ("Hicks" after "... Hope Hicks",
   "the Post" after "a Washington Post report", "Mr. Obama" after "President Obama");
3. **title**: a description without a name whose head noun occurs in an
   earlier mention of the same type ("the governor" after "Belgorod's governor
   Vyacheslav Gladkov", "The senator" after "Senator Cruz"); "the group",
   "the company" go to the nearest earlier organisation of the same type;
4. **outlet**: "the paper", "the agency", "the report" go to the nearest
   earlier outlet;
5. otherwise a new source.  An indefinite person ("a source", "an official")
   is always a new source.

Mentions with the role ``channel`` ("the Kyiv Post" in "... was quoted as
saying by the Kyiv Post") are grouped the same way, and recorded as the
outlet their sentence's source was quoted through.

:func:`article_sources` then adds what each source vouches for: the sentences
naming it as ``source``, plus the sentences that continue them
(``source_of``), its share of the article's attributed sentences and how many
of its claims are hedged.  Nothing here changes the reliability score.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache

PRONOUNS = {"he": "person", "him": "person", "his": "person", "she": "person", "her": "person",
            "it": "org", "its": "org", "they": "any", "them": "any", "their": "any", "we": "any", "us": "any",
            "i": "person", "me": "person", "you": "any"}
_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "some", "several", "two", "three"}
#: Words that make a mention a person (a role or an honorific).
PERSON_WORDS = {
    "mr", "mrs", "ms", "dr", "sir", "spokesperson", "spokesman", "spokeswoman", "spokerson", "official", "officials",
    "source", "sources", "governor", "senator", "president", "minister", "secretary", "expert", "officer", "director",
    "director-general", "chairman", "chairwoman", "chair", "mayor", "leader", "prosecutor", "judge", "chief",
    "anthropologist", "analyst", "professor", "doctor", "witness", "resident", "correspondent", "reporter", "editor",
    "lawyer", "attorney", "representative", "rep", "sen", "gov", "general", "commander", "ambassador", "manager",
    "founder", "king", "queen", "prince", "pope", "man", "woman", "researcher", "scientist", "member",
}
#: Words that make a name an organisation, a document or an outlet.
ORG_WORDS = {
    "legion", "group", "movement", "organization", "organisation", "committee", "foundation", "ministry",
    "department", "party", "campaign", "council", "government", "administration", "army", "police", "court",
    "union", "university", "institute", "center", "centre", "agency", "press", "news", "post", "times", "journal",
    "magazine", "tv", "television", "radio", "reuters", "bbc", "cnn", "msnbc", "npr", "ap", "afp", "report",
    "reports", "company", "corporation", "inc", "bank", "office", "service", "commission", "team", "nations",
    "who", "guidelines", "invitation", "call", "robocall", "statement", "media", "paper", "newspaper", "network",
}
#: Nouns that name an outlet generically: "the paper" is the nearest earlier outlet.
OUTLET_NOUNS = {"paper", "newspaper", "outlet", "agency", "broadcaster", "channel", "station", "network",
                "magazine", "daily", "report", "story", "publication", "site", "website"}
#: A report of an outlet names the outlet: "a Washington Post report" shows as "Washington Post".
REPORT_NOUNS = {"report", "reports", "story", "article", "broadcast", "interview"}
#: Nouns that name an organisation generically: "the group" is the nearest earlier organisation of its type.
GENERIC_ORG_NOUNS = {"group", "organisation", "organization", "company", "movement", "firm", "body", "party"}
#: Titles left out of a person's display name ("Belgorod's governor Vyacheslav Gladkov": "Vyacheslav Gladkov").
TITLE_WORDS = PERSON_WORDS | {"state", "us", "u.s.", "uk", "house", "senate", "minority", "majority", "deputy",
                              "vice", "former", "acting", "military", "foreign", "prime", "attorney-general"}

_WORD = re.compile(r"[\w][\w.\-’']*")
_PARENTHESES = re.compile(r"\([^)]*\)")
_POSSESSIVE = re.compile(r"[’']s$")


def _words(text: str) -> list[str]:
    return list(_word_tuple(text))


@lru_cache(maxsize=8192)  # articles repeat their mentions ("He", "the ministry"): parse each text once
def _word_tuple(text: str) -> tuple[str, ...]:
    text = _PARENTHESES.sub(" ", text)  # "the World Health Organization (WHO)"
    words = [w.rstrip(".") if w.lower() not in {"mr.", "mrs.", "ms.", "dr.", "u.s."} else w for w in _WORD.findall(text)]
    return tuple(_POSSESSIVE.sub("", w) for w in words if w)


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


@dataclass
class _Mention:
    """One mention with the word-level facts the grouping rules read, computed once.

    Eager rather than lazy: grouping compares each mention with hundreds of
    earlier ones, and an archive-sized article has tens of thousands of them.
    """

    sentence: int
    start: int
    end: int
    text: str
    type: str
    role: str

    def __post_init__(self):
        w = _words(self.text)
        self.words = w
        self.lower_words = [x.lower() for x in w]
        self.lower_set = frozenset(self.lower_words)
        key = self.lower_words
        while key and key[0] in _DETERMINERS:
            key = key[1:]
        self.key = " ".join(key)
        self.pronoun = PRONOUNS.get(self.lower_words[0]) if len(w) == 1 else None
        # Ends in a capitalised word that is not a title: "Senator Cruz", "the Kyiv Post" (not "The senator").
        self.is_name = bool(w) and self.pronoun is None and _is_cap(w[-1]) and self.lower_words[-1] not in _DETERMINERS \
            and not (len(w) == 1 and self.lower_words[0] in PERSON_WORDS)
        self.head = self.lower_words[-1] if w else ""
        #: The capitalised words of the mention, lowercased (its name part).
        self.name_words = [x.lower() for x in w if _is_cap(x) and x.lower() not in _DETERMINERS]
        self.kind = self._kind()

    def _kind(self) -> str:
        """``person`` or ``org``: what a pronoun may refer back to."""
        if self.pronoun:
            return self.pronoun
        lower = self.lower_words
        if self.is_name:  # the name itself decides: "Northwestern University ... expert Wendy Parmet" is a person
            tail = []
            for w in reversed(self.words):
                if not (_is_cap(w) or w.lower() in {"of", "for", "and", "on", "the", "&"}):
                    break
                tail.append(w.lower())
            if any(w in ORG_WORDS for w in tail) or self.type == "agency" and not any(w in PERSON_WORDS for w in lower):
                return "org"
            if len(tail) == 1 and not any(w.rstrip(".") in PERSON_WORDS for w in lower):
                return "org"  # one bare name: "Russia", "Reuters" (a lone surname joins its person by rule 2)
            return "person"
        if any(w in PERSON_WORDS for w in lower[-2:]):
            return "person"
        return "org"

    def display(self) -> str:
        """This mention as a source's name: a person's name without its titles, else the text without "the"."""
        words = self.text.split()
        if self.is_name and self.kind == "person":
            keep: list[str] = []
            for pos in range(len(words) - 1, -1, -1):
                w = words[pos]
                bare = _words(w)
                if not bare or not _is_cap(bare[0]) or bare[0].lower().rstrip(".") in TITLE_WORDS \
                        or re.search(r"[’']s$", w):
                    break
                if pos and words[pos - 1].lower() in {"to", "of", "for", "at", "in"} and keep:
                    break  # the place of a title: "US Ambassador to Germany Richard Grenell"
                keep.append(w)
            if keep:
                return " ".join(reversed(keep))
        bare = self.words
        if not self.is_name and self.head in REPORT_NOUNS and len(bare) > 1 and _is_cap(bare[-2]):
            run = []  # "a Washington Post report" names the Washington Post
            for w in reversed(bare[:-1]):
                if not _is_cap(w) or w.lower() in _DETERMINERS:
                    break
                run.append(w)
            return " ".join(reversed(run))
        if words and words[0].lower() in {"the"} and self.is_name:
            words = words[1:]
        return " ".join(words).strip(" ,") or self.text.strip() or "?"

    def informativeness(self) -> tuple:
        capitals = len([w for w in self.name_words if w.rstrip(".") not in TITLE_WORDS])
        return (self.pronoun is None, capitals, self.is_name, len(self.text))


@dataclass
class Source:
    """One distinct source of an article (see the module docstring; fields in docs/output-format.md)."""

    id: int
    name: str
    type: str
    kind: str
    #: Whether a mention gives a proper name ("Vyacheslav Gladkov", "the Kyiv Post"), not only a description.
    named: bool
    sentences: list[int]
    claims: int
    share_of_claims: float
    hedged: list[int]
    hedged_share: float
    via: list[int] = field(default_factory=list)
    channel_for: list[int] = field(default_factory=list)
    mentions: list[dict] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


_FIELDS = ("sentence", "start", "end", "text", "type", "role")


def _mention(d: dict) -> _Mention:
    return _Mention(**{k: d[k] for k in _FIELDS})


#: How many earlier mentions a mention is compared with (nearest first).
MAX_LOOKBACK = 400


def group_mentions(mentions: list[dict], parsed: list[_Mention] | None = None) -> tuple[list[list[int]], list[str]]:
    """Group ``mentions`` (dicts with ``sentence``, ``start``, ``end``, ``text``, ``type``, ``role``).

    Returns the groups as lists of positions in ``mentions`` (each group in
    mention order, groups in order of first mention) and, per mention, the
    rule that placed it (``new``, ``pronoun``, ``name``, ``title``, ``outlet``).
    """
    items = sorted(range(len(mentions)), key=lambda i: (mentions[i]["sentence"], mentions[i]["start"]))
    parsed = parsed if parsed is not None else [_mention(m) for m in mentions]
    ms = [parsed[i] for i in items]
    group_of: list[int] = []
    groups: list[list[int]] = []
    rule: list[str] = []
    for j, m in enumerate(ms):
        # Nearest first, and at most MAX_LOOKBACK mentions back: an article has far fewer, and the bound
        # keeps grouping linear on archives-sized texts (a 5 MB article has tens of thousands of mentions).
        earlier = range(j - 1, max(-1, j - 1 - MAX_LOOKBACK), -1)
        found, why = None, "new"
        if m.pronoun:
            for k in earlier:
                e = ms[k]
                if e.pronoun is None and e.type == m.type and e.role == "source" \
                        and (m.pronoun == "any" or ms[groups[group_of[k]][0]].kind == m.pronoun or e.kind == m.pronoun):
                    found, why = group_of[k], "pronoun"
                    break
            if found is None:  # "He" whose antecedent is a pronoun itself ("He ... He")
                for k in earlier:
                    if ms[k].pronoun == m.pronoun and ms[k].type == m.type:
                        found, why = group_of[k], "pronoun"
                        break
        else:
            key = m.key
            # An indefinite person ("a source", "an official") is someone new, never an earlier one.
            indefinite_person = m.words[:1] in (["a"], ["an"], ["another"], ["A"], ["An"], ["Another"]) \
                and m.kind == "person"
            for k in ([] if indefinite_person or not key else earlier):
                e = ms[k]
                if e.pronoun or e.type != m.type:
                    continue
                if key == e.key:
                    found, why = group_of[k], "name"
                    break
                if m.is_name and m.words[-1].lower() in e.name_words and m.words[-1].lower() not in TITLE_WORDS \
                        and (e.is_name or m.type == "agency"):
                    found, why = group_of[k], "name"
                    break
            if found is None and not m.is_name and m.head and not indefinite_person:
                for k in earlier:
                    e = ms[k]
                    if e.pronoun or e.type != m.type:
                        continue
                    if m.head in e.lower_set:
                        found, why = group_of[k], "title"
                        break
                if found is None and m.head in GENERIC_ORG_NOUNS and len(m.words) <= 2:
                    for k in earlier:
                        e = ms[k]
                        if not e.pronoun and e.type == m.type and e.kind == "org" and e.role == "source":
                            found, why = group_of[k], "title"
                            break
                if found is None and m.type == "agency" and m.head in OUTLET_NOUNS:
                    for k in earlier:
                        if ms[k].type == "agency" and not ms[k].pronoun:
                            found, why = group_of[k], "outlet"
                            break
        if found is None:
            found = len(groups)
            groups.append([])
        groups[found].append(j)
        group_of.append(found)
        rule.append(why)
    by_original = [[items[j] for j in g] for g in groups]
    rules = [""] * len(mentions)
    for j, i in enumerate(items):
        rules[i] = rule[j]
    return by_original, rules


def display_name(mentions: list[dict]) -> str:
    """The most informative mention's display form (a name over a description over a pronoun)."""
    return _display_name([_mention(m) for m in mentions])


def _display_name(parsed: list[_Mention]) -> str:
    return max(parsed, key=lambda m: m.informativeness()).display()


def _continuations(source_of: dict[int, int | None]) -> dict[int, int]:
    """Each continuing sentence to the sentence whose source it ultimately follows (cycles cut)."""
    out = {}
    for i, target in source_of.items():
        seen = {i}
        while target is not None and target not in seen and source_of.get(target) is not None:
            seen.add(target)
            target = source_of[target]
        if target is not None and target != i:
            out[i] = target
    return out


def article_sources(sentences, att_labels: list[str], hed_labels: list[str]) -> list[Source]:
    """The distinct sources of an article from its :class:`~credscore.results.SentencePrediction` objects.

    Duck-typed: each sentence needs ``index``, ``start`` (``None`` when its
    mentions' offsets are into its own text), ``sources`` and ``source_of``.
    ``att_labels`` / ``hed_labels``: each sentence's attribution and hedging label.
    """
    mentions = []
    for pos, s in enumerate(sentences):
        shift = s.start or 0
        for m in s.sources or []:
            mentions.append({"sentence": pos, "start": int(m["start"]) - shift, "end": int(m["end"]) - shift,
                             "text": str(m.get("text", "")), "type": m.get("type", "direct_claim"),
                             "role": m.get("role", "source"), "confidence": m.get("confidence")})
    return sources_from_mentions(mentions, {pos: s.source_of for pos, s in enumerate(sentences)},
                                 att_labels, hed_labels)


def sources_from_mentions(mentions: list[dict], source_of: dict[int, int | None], att_labels: list[str],
                          hed_labels: list[str]) -> list[Source]:
    """:class:`Source` objects from mentions (offsets into their sentence's text) and ``source_of`` links."""
    if not mentions:
        return []
    parsed_all = [_mention(m) for m in mentions]  # parsed once: grouping and naming both read them
    groups, rules = group_mentions(mentions, parsed_all)
    group_of = {i: g for g, members in enumerate(groups) for i in members}
    n = len(att_labels)
    attributed = {i for i, label in enumerate(att_labels) if label != "unattributed"}
    speaking: dict[int, list[int]] = {}  # sentence -> source groups speaking in it
    for i, m in enumerate(mentions):
        if m["role"] == "source":
            speaking.setdefault(m["sentence"], [])
            if group_of[i] not in speaking[m["sentence"]]:
                speaking[m["sentence"]].append(group_of[i])
    said: dict[int, set[int]] = {g: set() for g in range(len(groups))}
    for sent, gs in speaking.items():
        for g in gs:
            said[g].add(sent)
    for sent, target in _continuations({k: v for k, v in source_of.items() if v is not None}).items():
        for g in speaking.get(target, []):
            if sent < n:
                said[g].add(sent)
    channels_in: dict[int, set[int]] = {}  # sentence -> groups mentioned there as a channel
    for i, m in enumerate(mentions):
        if m["role"] == "channel":
            channels_in.setdefault(m["sentence"], set()).add(group_of[i])
    out = []
    for g, members in enumerate(groups):
        ms = [mentions[i] for i in members]
        sents = sorted(said[g])
        hedged = [i for i in sents if i < len(hed_labels) and hed_labels[i] != "none"]
        own_sentences = {m["sentence"] for m in ms if m["role"] == "source"}
        via = sorted({c for sent in own_sentences for c in channels_in.get(sent, ()) if c != g})
        types = Counter(m["type"] for m in ms if m["role"] == "source") or Counter(m["type"] for m in ms)
        parsed = [parsed_all[i] for i in members]
        first = parsed[0]
        kind = next((p for p in parsed if not p.pronoun), first).kind
        out.append(Source(
            id=g, name=_display_name(parsed), type=types.most_common(1)[0][0] if types else first.type,
            kind="person" if kind == "person" else "organisation",
            named=any(p.is_name for p in parsed), sentences=sents, claims=len(sents),
            share_of_claims=round(len(set(sents) & attributed) / len(attributed), 4) if attributed else 0.0,
            hedged=hedged, hedged_share=round(len(hedged) / len(sents), 4) if sents else 0.0, via=via,
            channel_for=sorted({m["sentence"] for m in ms if m["role"] == "channel"}),
            mentions=[{"sentence": m["sentence"], "start": m["start"], "end": m["end"], "text": m["text"],
                       "role": m["role"], "rule": rules[i]} for i, m in zip(members, ms)],
            rules=sorted(set(rules[i] for i in members)),
        ))
    return out


def sources_by_sentence(sources: list[Source]) -> dict[int, list[Source]]:
    """Sentence index to the sources vouching for it (a continued quote's sentences included), in profile order."""
    out: dict[int, list[Source]] = {}
    for s in sources:
        for i in s.sentences:
            out.setdefault(i, []).append(s)
    return out


def source_label(source: Source, by_id: dict[int, Source]) -> str:
    """One line naming a source and the outlets it was quoted through: "a source (anonymous) via Kyiv Post"."""
    via = [by_id[v].name for v in source.via if v in by_id]
    return f"{source.name} ({TYPE_WORDS.get(source.type, source.type)})" + (f" via {', '.join(via)}" if via else "")


#: Short words for the source types, as reports show them.
TYPE_WORDS = {"direct_claim": "named", "official_statement": "official", "anonymous_source": "anonymous",
              "agency": "outlet"}
