"""The search query language, parsed into a small tree (pure: no database, no I/O).

Grammar (one per line, highest precedence last)::

    query   := or_expr
    or_expr := and_expr ( "OR" and_expr )*          OR in capitals; « or » is a word
    and_expr:= unary+                               juxtaposed terms must all match
    unary   := "-" primary | primary                -word, -"phrase", -(…) exclude
    primary := [field ":"] ( "(" or_expr ")" | '"' phrase '"' | word ["*"] )
    field   := title | author | tag | source

Every word goes through ``brevefeed.text`` exactly as indexed text does (elisions cut, accents
and ligatures folded, Snowball French stem), so the tree holds stems, never raw input: nothing a
user types reaches FTS5 or ``to_tsquery`` as syntax.

Hostile input is forgiving where a reading is obvious and a one-line ``QueryError`` otherwise:
an unclosed quote runs to the end, an unclosed parenthesis closes at the end, a stray ``)`` is
ignored, a lone ``OR`` or ``-`` is dropped, punctuation (``^ : * NEAR …``) is only a word
separator. A query left with nothing to match, or made only of exclusions, is an error.

Stop words (``brevefeed.text.stopwords``: les, une, du…) are dropped: a term made only of them
goes, and inside a phrase each leaves a gap of one word, so « fermeture du forum » also finds
« fermeture d’un forum ». A query made only of stop words is an error that says so.

A prefix matches the words that begin with it as written: the index holds stems, and a stem may
be shorter than the prefix (« agression » is indexed as agress, which agressio* does not
begin), so the prefix also stands for the stems of the words it begins (``prefix_stems``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from brevefeed.errors import QueryError
from brevefeed.text import fold, is_stop_word, stem, words

Field = Literal["title", "author", "tag", "source"]
FIELDS: tuple[Field, ...] = ("title", "author", "tag", "source")

#: Beyond these, a query is an attack or a mistake, not a question.
MAX_DEPTH = 16
MAX_TERMS = 64
MAX_LENGTH = 2000


@dataclass(frozen=True)
class Term:
    """Stems that must appear in this order (one stem: a word; several: a phrase).

    With ``prefix`` the last element is a folded prefix matched against indexed stems.
    ``field`` None means title, standfirst, body and tags. ``gaps[i]``, when given, is the
    number of words (stop words of the query) allowed between ``stems[i]`` and ``stems[i+1]``.
    ``common``: the term was made only of stop words (dropped unless nothing else remains).
    """

    stems: tuple[str, ...]
    field: Field | None = None
    prefix: bool = False
    gaps: tuple[int, ...] = ()
    common: bool = False

    def runs(self) -> list[tuple[str, ...]]:
        """The stems split where the phrase has gaps: each run is an exact phrase."""
        runs: list[list[str]] = [[self.stems[0]]]
        gaps = self.gaps or (0,) * (len(self.stems) - 1)
        for stemmed, gap in zip(self.stems[1:], gaps, strict=True):
            if gap:
                runs.append([stemmed])
            else:
                runs[-1].append(stemmed)
        return [tuple(run) for run in runs]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Any:
    children: tuple[Node, ...]


Node = Term | Not | All | Any

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<quote>"[^"]*"?)
  | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)
_FIELD = re.compile(r"^(?P<field>[A-Za-z]+):(?P<rest>.*)$", re.DOTALL)


@dataclass
class _Lexeme:
    kind: Literal["open", "close", "or", "term"]
    negated: bool = False
    field: Field | None = None
    text: str = ""
    phrase: bool = False


def _lex(query: str) -> list[_Lexeme]:
    """Split into parentheses, OR, and terms carrying their own ``-`` and ``field:``."""
    lexemes: list[_Lexeme] = []
    negated = False
    field: Field | None = None
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        value = match.group()
        if kind == "space":
            negated, field = False, None
            continue
        if kind == "open":
            lexemes.append(_Lexeme("open", negated=negated, field=field))
        elif kind == "close":
            lexemes.append(_Lexeme("close"))
        elif kind == "quote":
            inner = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
            lexemes.append(_Lexeme("term", negated, field, inner, phrase=True))
        else:
            if value == "OR" and not negated and field is None:
                lexemes.append(_Lexeme("or"))
                continue
            if value.startswith("-") and not negated and field is None:
                negated, value = True, value.lstrip("-")
            found = _FIELD.match(value)
            if found and found.group("field").lower() in FIELDS and field is None:
                field = found.group("field").lower()  # type: ignore[assignment]
                value = found.group("rest")
            if value:
                lexemes.append(_Lexeme("term", negated, field, value))
            else:
                continue  # a bare « - » or « title: »: wait for what follows, no space between
        negated, field = False, None
    return lexemes


def _prefix_stem(word: str) -> str:
    """A typed prefix, cut back to its stem when stemming only trims it (darmani* → darman*)."""
    stemmed = stem(word)
    return stemmed if word.startswith(stemmed) and stemmed else word


#: The endings the Snowball French stemmer removes or rewrites, folded as the index folds, and
#: the plural marks: the tails a word beginning with a prefix may end in when its stem is shorter
#: than the prefix (« agressio » + n → agression → agress).
_ENDINGS = tuple(
    fold(ending)
    for ending in """
    ance ances ique iques isme ismes able ables iste istes eux atrice atrices ateur ateurs ation
    ations logie logies usion usions ution utions ence ences ement ements ite ites if ive ifs
    ives eaux aux euse euses issement issements amment emment ment ments imes it ites i ie ies
    ir ira irai iraient irais irait iras irent irez iriez irions irons iront is issaient issais
    issait issant issante issantes issants isse issent isses issez issiez issions issons e ee
    ees es erent er era erai eraient erais erait eras erez eriez erions erons eront ez iez ions
    ons ames at ates a ai aient ais ait ant ante antes ants as asse assent asses assiez assions
    ion ier iere s x
    """.split()
)
#: Shorter prefixes cover too many words to be worth widening.
_WIDEN_FROM = 4


def prefix_stems(prefix: str) -> tuple[str, ...]:
    """Stems of words beginning with ``prefix`` that the prefix's own stem does not begin.

    Pure and bounded (a few hundred stemmings, cached): no scan of the index's vocabulary. A
    word that begins with the prefix ends in one of the stemmer's endings (``_ENDINGS``), whose
    start the prefix may already hold; stemming each such word gives every stem the prefix can
    stand for. A made-up word may add the stem of real ones, which is what the index matches on
    anyway (« agressio* », like « agression », finds « agressif »).
    """
    if len(prefix) < _WIDEN_FROM:
        return ()
    own = _prefix_stem(prefix)
    found: set[str] = set()
    for ending in _ENDINGS:
        for overlap in range(len(ending)):
            if prefix.endswith(ending[:overlap]):
                word = prefix + ending[overlap:]
                for form in (word, word + "s"):
                    stemmed = stem(form)
                    if len(stemmed) >= _WIDEN_FROM and not stemmed.startswith(own):
                        found.add(stemmed)
    return tuple(sorted(found))


def _term(lexeme: _Lexeme) -> Node | None:
    """The term (or, for a prefix, the alternatives) a lexeme stands for."""
    text = lexeme.text
    prefix = not lexeme.phrase and text.endswith("*")
    found = words(text.rstrip("*") if prefix else text)
    if not found:
        return None
    last = fold(found[-1]) if prefix else None
    kept = [word for word in (found[:-1] if prefix else found) if not is_stop_word(word)]
    if not kept and last is None:
        # Only stop words: kept aside, used only if the query holds nothing else.
        return Term(tuple(stem(w) for w in found), lexeme.field, common=True)
    stems_: list[str] = []
    gaps: list[int] = []
    gap = 0
    for word in found[:-1] if prefix else found:
        if is_stop_word(word):
            gap += stems_ != []  # stop words before the first word are no gap
            continue
        if stems_:
            gaps.append(gap)
        stems_.append(stem(word))
        gap = 0
    if last is not None:
        if stems_:
            gaps.append(gap)
        term = Term((*stems_, _prefix_stem(last)), lexeme.field, True, _gapped(gaps))
        wider = [
            Term((*stems_, other), lexeme.field, False, _gapped(gaps))
            for other in prefix_stems(last)
        ]
        return Any((term, *wider)) if wider else term
    return Term(tuple(stems_), lexeme.field, False, _gapped(gaps))


def _gapped(gaps: list[int]) -> tuple[int, ...]:
    """No gaps recorded when there are none: a plain phrase compares equal to its old form."""
    return tuple(gaps) if any(gaps) else ()


class _Parser:
    def __init__(self, lexemes: list[_Lexeme]):
        self.lexemes = lexemes
        self.position = 0
        self.terms = 0

    def _peek(self) -> _Lexeme | None:
        return self.lexemes[self.position] if self.position < len(self.lexemes) else None

    def parse(self) -> Node | None:
        node = self._or(depth=0)
        while self._peek() is not None:  # only stray « ) » stop _or early: skip them
            self.position += 1
            more = self._or(depth=0)
            node = _join_all([n for n in (node, more) if n is not None])
        return node

    def _or(self, depth: int) -> Node | None:
        branches: list[Node] = []
        while True:
            branch = self._and(depth)
            if branch is not None:
                branches.append(branch)
            lexeme = self._peek()
            if lexeme is None or lexeme.kind != "or":
                break
            self.position += 1
        if not branches:
            return None
        return branches[0] if len(branches) == 1 else Any(tuple(branches))

    def _and(self, depth: int) -> Node | None:
        parts: list[Node] = []
        while (lexeme := self._peek()) is not None and lexeme.kind not in ("or", "close"):
            self.position += 1
            node: Node | None
            if lexeme.kind == "open":
                if depth + 1 > MAX_DEPTH:
                    raise QueryError(f"query nests parentheses deeper than {MAX_DEPTH} levels")
                node = self._or(depth + 1)
                if self._peek() is not None:  # the matching « ) »; missing ones close at the end
                    self.position += 1
                if node is not None and lexeme.field is not None:
                    node = _with_field(node, lexeme.field)
            else:
                node = _term(lexeme)
                if node is not None:
                    self.terms += len(node.children) if isinstance(node, Any) else 1
                    if self.terms > MAX_TERMS:
                        raise QueryError(f"query has more than {MAX_TERMS} terms")
            if node is not None:
                parts.append(Not(node) if lexeme.negated else node)
        return _join_all(parts) if parts else None


def _join_all(parts: list[Node]) -> Node:
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _with_field(node: Node, field: Field) -> Node:
    """``title:(a OR b)``: the field applies to every term inside that names none."""
    if isinstance(node, Term):
        return node if node.field else replace(node, field=field)
    if isinstance(node, Not):
        return Not(_with_field(node.child, field))
    children = tuple(_with_field(child, field) for child in node.children)
    return All(children) if isinstance(node, All) else Any(children)


def _check_matchable(node: Node) -> None:
    """Full-text engines need something positive to look up; refuse pure exclusions."""
    if isinstance(node, Not):
        raise QueryError("a query (or each side of OR) needs a word to find, not only -exclusions")
    if isinstance(node, All):
        if all(isinstance(child, Not) for child in node.children):
            raise QueryError(
                "a query (or each side of OR) needs a word to find, not only -exclusions"
            )
        for child in node.children:
            _check_matchable(child.child if isinstance(child, Not) else child)
    elif isinstance(node, Any):
        for child in node.children:
            _check_matchable(child)


def parse_query(query: str) -> Node:
    """The tree of ``query``, or a ``QueryError`` with a one-line reason."""
    if len(query) > MAX_LENGTH:
        raise QueryError(f"query is longer than {MAX_LENGTH} characters")
    if "\x00" in query:
        query = query.replace("\x00", " ")
    node = _Parser(_lex(query)).parse()
    if node is None:
        raise QueryError(f"nothing to search for in {query.strip()[:60]!r} (no words)")
    meaningful = _without_common(node)
    if meaningful is None:
        raise QueryError(
            f"{query.strip()[:60]!r} has only words too common to search (le, les, une…):"
            " add a word that says what you are looking for"
        )
    _check_matchable(meaningful)
    return meaningful


def _without_common(node: Node) -> Node | None:
    """``node`` without its stop-word terms; None when nothing else is left."""
    if isinstance(node, Term):
        return None if node.common else node
    if isinstance(node, Not):
        child = _without_common(node.child)
        return None if child is None else Not(child)
    children = [c for c in (_without_common(child) for child in node.children) if c is not None]
    if not children:
        return None
    if len(children) == 1:
        return children[0]
    return All(tuple(children)) if isinstance(node, All) else Any(tuple(children))


def positive_terms(node: Node) -> list[Term]:
    """Terms that must or may match (not under a Not): what snippets highlight and ranks use."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return []
    return [term for child in node.children for term in positive_terms(child)]


def and_also(node: Node, extra: list[Term]) -> Node:
    """``node`` with more required terms (``--tag``/``--source`` options become field terms)."""
    if not extra:
        return node
    base = list(node.children) if isinstance(node, All) else [node]
    return All((*base, *extra))


def field_term(field: Field, text: str) -> Term:
    """The exact-phrase term an option such as ``--tag "violences en ligne"`` stands for."""
    term = _term(_Lexeme("term", field=field, text=text, phrase=True))
    if not isinstance(term, Term) or term.common:
        raise QueryError(f"--{field} {text!r} has no words to match")
    return term
