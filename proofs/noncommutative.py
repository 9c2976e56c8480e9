"""Noncommutative polynomials and their rewriting normal form: block identities for every block size.

An identity between ``2 x 2`` block matrices whose blocks are built from
``d x d`` matrices by sums, products and inverses is usually an identity of
the *free algebra*: its proof never looks at an entry, so one symbolic check
with noncommuting letters proves it for every ``d`` at once.

* :class:`Poly` -- an element of the free algebra ``Q<letters>``: a finite sum
  of words (tuples of letters) with rational coefficients.  Letters are
  strings; the formal inverse of the letter ``"X"`` is the letter ``"X^-1"``.
* :class:`RewritingSystem` -- relations the letters satisfy, as rules
  ``word -> Poly``: ``X X^-1 -> 1`` and ``X^-1 X -> 1`` for invertible
  letters, ``b a -> a b`` for diagonal letters ``a < b`` (diagonal matrices
  commute with each other, not with general ones), and any relation a
  statement assumes.  The *normal form* rewrites until no left side occurs.
* :class:`BlockMatrix` -- ``[[p, q], [r, s]]`` with :class:`Poly` entries.

Why equal normal forms prove an identity for every ``d`` (docs/theory.md,
"Gadget identities for every block size"): each rule is an equation that
holds for every assignment of ``d x d`` matrices to the letters allowed by
the statement (invertible letters to invertible matrices, diagonal letters to
diagonal ones, assumed relations satisfied), so a rewrite never changes the
value of a polynomial under such an assignment.  Confluence is not needed for
this; :meth:`RewritingSystem.unresolved_ambiguities` checks it anyway
(Bergman's diamond lemma), so that normal forms are unique and unequal
normal forms mean the identity does not follow from the rules.

>>> X, Y = Poly.letter("X"), Poly.letter("Y")
>>> rs = RewritingSystem(invertible=["X"])
>>> Xi = Poly.letter("X^-1")
>>> rs.normal_form((1 + X) * Xi * Y * X * Xi)
Y + X^-1*Y
>>> rs.equal(X * Y, Y * X)
False
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Iterator

__all__ = ["BlockMatrix", "Poly", "RewritingSystem", "base_letter", "inverse_letter", "word_key"]

Word = tuple  # of letters (str)

INVERSE_SUFFIX = "^-1"


def inverse_letter(letter: str) -> str:
    """The formal inverse: ``X <-> X^-1``.

    >>> inverse_letter("X"), inverse_letter("X^-1")
    ('X^-1', 'X')
    """
    if letter.endswith(INVERSE_SUFFIX):
        return letter[: -len(INVERSE_SUFFIX)]
    return letter + INVERSE_SUFFIX


def base_letter(letter: str) -> str:
    """The letter a formal inverse inverts, or the letter itself.

    >>> base_letter("X^-1"), base_letter("X")
    ('X', 'X')
    """
    return inverse_letter(letter) if letter.endswith(INVERSE_SUFFIX) else letter


def word_key(word: Word) -> tuple:
    """Degree-lexicographic order on words: shorter first, then letter by letter.

    Every rule rewrites a word into smaller ones in this order; as it is a
    well-order compatible with concatenation, rewriting terminates.

    >>> sorted([("b",), ("a", "b"), ("a",), ()], key=word_key)
    [(), ('a',), ('b',), ('a', 'b')]
    """
    return (len(word), word)


class Poly:
    """A noncommutative polynomial: ``{word: coefficient}`` with nonzero rational coefficients.

    >>> A, B = Poly.letter("A"), Poly.letter("B")
    >>> (A + B) * (A - B)
    A*A - A*B + B*A - B*B
    >>> 2 - A * 3 + Fraction(1, 2)
    5/2 - 3*A
    >>> (A - A).is_zero(), Poly.one() * A == A
    (True, True)
    """

    __slots__ = ("terms",)

    def __init__(self, terms: dict | None = None):
        self.terms = {w: Fraction(c) for w, c in (terms or {}).items() if c}

    @classmethod
    def letter(cls, name: str) -> "Poly":
        return cls({(name,): 1})

    @classmethod
    def word(cls, word: Word) -> "Poly":
        return cls({tuple(word): 1})

    @classmethod
    def one(cls) -> "Poly":
        return cls({(): 1})

    @classmethod
    def zero(cls) -> "Poly":
        return cls()

    @staticmethod
    def _coerce(x) -> "Poly":
        if isinstance(x, Poly):
            return x
        if isinstance(x, (int, Fraction)):
            return Poly({(): x})
        return NotImplemented

    def is_zero(self) -> bool:
        return not self.terms

    def as_letter(self) -> str | None:
        """The letter, if this polynomial is one letter with coefficient 1.

        >>> Poly.letter("X").as_letter(), (2 * Poly.letter("X")).as_letter(), Poly.one().as_letter()
        ('X', None, None)
        """
        if len(self.terms) == 1:
            ((word, c),) = self.terms.items()
            if c == 1 and len(word) == 1:
                return word[0]
        return None

    def letters(self) -> set:
        return {x for w in self.terms for x in w}

    def __add__(self, other):
        other = Poly._coerce(other)
        if other is NotImplemented:
            return other
        out = dict(self.terms)
        for w, c in other.terms.items():
            out[w] = out.get(w, 0) + c
        return Poly(out)

    __radd__ = __add__

    def __neg__(self):
        return Poly({w: -c for w, c in self.terms.items()})

    def __sub__(self, other):
        other = Poly._coerce(other)
        return other if other is NotImplemented else self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        other = Poly._coerce(other)
        if other is NotImplemented:
            return other
        out: dict = {}
        for w1, c1 in self.terms.items():
            for w2, c2 in other.terms.items():
                out[w1 + w2] = out.get(w1 + w2, 0) + c1 * c2
        return Poly(out)

    def __rmul__(self, other):
        other = Poly._coerce(other)
        return other if other is NotImplemented else other * self

    def __eq__(self, other):
        other = Poly._coerce(other)
        return other is not NotImplemented and self.terms == other.terms

    __hash__ = None  # mutable-looking value type; compare, don't hash

    def __repr__(self):
        if not self.terms:
            return "0"
        out = ""
        for w in sorted(self.terms, key=word_key):
            c = self.terms[w]
            sign, c = ("-" if c < 0 else "+"), abs(c)
            body = "*".join(w)
            text = (str(c) if not w else body if c == 1 else f"{c}*{body}")
            out += f" {sign} {text}" if out else (text if sign == "+" else f"-{text}")
        return out


class RewritingSystem:
    """Relations between letters as rules ``word -> Poly`` and the normal form they give.

    ``invertible``: letters with a formal inverse (``X X^-1 = X^-1 X = 1``).
    ``diagonal``: letters standing for diagonal matrices; they (and the
    inverses of the invertible ones) commute with each other and with nothing
    else.  :meth:`add_relation` adds an assumed equation, oriented by
    :func:`word_key` (its largest word becomes the left side).

    >>> E, F, A = Poly.letter("E"), Poly.letter("F"), Poly.letter("A")
    >>> rs = RewritingSystem(invertible=["E"], diagonal=["E", "F"])
    >>> rs.normal_form(F * E * A * F * Poly.letter("E^-1") * E)
    E*F*A*F
    >>> rs.equal(E * A, A * E)
    False
    >>> rs.add_relation(A * A, A)  # an idempotent
    >>> rs.normal_form((1 - A) * (1 - A)), rs.unresolved_ambiguities()
    (1 - A, [])
    """

    def __init__(self, invertible: Iterable[str] = (), diagonal: Iterable[str] = ()):
        self._rules = None
        self.invertible: list[str] = []
        self.diagonal: list[str] = []
        self.relations: list[tuple[Word, Poly]] = []
        for name in invertible:
            self.add_invertible(name)
        for name in diagonal:
            self.add_diagonal(name)

    # -- the relations -------------------------------------------------------
    def add_invertible(self, name: str) -> None:
        if name not in self.invertible:
            self.invertible.append(name)
            self._rules = None

    def add_diagonal(self, name: str) -> None:
        if name not in self.diagonal:
            self.diagonal.append(name)
            self._rules = None

    def add_relation(self, lhs: Poly, rhs: Poly) -> None:
        """Assume ``lhs = rhs``; kept as the rule ``(largest word) -> (the rest, solved)``."""
        diff = Poly._coerce(lhs) - rhs
        if diff.is_zero():
            raise ValueError("the relation is trivial")
        lead = max(diff.terms, key=word_key)
        c = diff.terms[lead]
        solved = Poly({w: -v / c for w, v in diff.terms.items() if w != lead})
        self.relations.append((lead, solved))
        self._rules = None

    @property
    def rules(self) -> dict:
        """All rules ``{left word: right Poly}``, each decreasing in :func:`word_key`."""
        if self._rules is None:
            rules: dict = {}

            def add(lhs: Word, rhs: Poly) -> None:
                if lhs in rules and rules[lhs] != rhs:
                    raise ValueError(f"two rules for {'*'.join(lhs)}")
                assert all(word_key(w) < word_key(lhs) for w in rhs.terms), "rule does not decrease"
                rules[lhs] = rhs

            for x in self.invertible:
                add((x, inverse_letter(x)), Poly.one())
                add((inverse_letter(x), x), Poly.one())
            commuting = sorted(self.diagonal + [inverse_letter(x) for x in self.diagonal if x in self.invertible])
            for a in commuting:
                for b in commuting:
                    # a < b: "b a -> a b"; a letter and its own inverse cancel instead
                    if a < b and inverse_letter(a) != b:
                        add((b, a), Poly.word((a, b)))
            for lhs, rhs in self.relations:
                add(lhs, rhs)
            self._rules = rules
            self._lengths = sorted({len(w) for w in rules})
            self._cache: dict = {}
        return self._rules

    # -- normal form ---------------------------------------------------------
    def _reduce_word(self, word: Word) -> Poly:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        rules = self.rules
        result = None
        for i in range(len(word)):
            for length in self._lengths:
                rhs = rules.get(word[i : i + length]) if i + length <= len(word) else None
                if rhs is not None:
                    result = Poly.zero()
                    for w, c in rhs.terms.items():
                        result = result + c * self._reduce_word(word[:i] + w + word[i + length :])
                    break
            if result is not None:
                break
        if result is None:  # no left side occurs: the word is irreducible
            result = Poly.word(word)
        self._cache[word] = result
        return result

    def normal_form(self, p: Poly) -> Poly:
        """Rewrite every word until no rule applies (terminates: rules decrease :func:`word_key`).

        >>> X = Poly.letter("X")
        >>> RewritingSystem(invertible=["X"]).normal_form(X * (Poly.letter("X^-1") - X))
        1 - X*X
        """
        self.rules  # build the rules and the cache
        out = Poly.zero()
        for w, c in Poly._coerce(p).terms.items():
            out = out + c * self._reduce_word(w)
        return out

    def equal(self, lhs: Poly, rhs: Poly) -> bool:
        """``lhs - rhs`` has normal form 0 (so ``lhs = rhs`` under every assignment obeying the rules)."""
        return self.normal_form(Poly._coerce(lhs) - rhs).is_zero()

    # -- confluence -------------------------------------------------------
    def ambiguities(self) -> Iterator[tuple[Word, Poly, Poly]]:
        """Every word two rules can rewrite differently (overlap or inclusion), with both results.

        >>> A = Poly.letter("A")
        >>> rs = RewritingSystem()
        >>> rs.add_relation(A * A * A, A)
        >>> [(" ".join(w), r1, r2) for w, r1, r2 in rs.ambiguities()]
        [('A A A A A', A*A*A, A*A*A), ('A A A A', A*A, A*A)]
        """
        rules = self.rules
        for l1, r1 in rules.items():
            for l2, r2 in rules.items():
                for k in range(1, min(len(l1), len(l2))):  # a proper suffix of l1 is a prefix of l2
                    if l1[-k:] == l2[:k]:
                        yield l1 + l2[k:], r1 * Poly.word(l2[k:]), Poly.word(l1[:-k]) * r2
                if l1 != l2:  # l2 occurs inside l1
                    for i in range(len(l1) - len(l2) + 1):
                        if l1[i : i + len(l2)] == l2:
                            yield l1, r1, Poly.word(l1[:i]) * r2 * Poly.word(l1[i + len(l2) :])

    def unresolved_ambiguities(self) -> list[Word]:
        """Ambiguities whose two results have different normal forms; ``[]`` means confluent.

        By the diamond lemma (the rules terminate), ``[]`` means every
        polynomial has one normal form whatever the order of the rewrites, and
        the irreducible words are a basis of the algebra the rules define.

        >>> A, B = Poly.letter("A"), Poly.letter("B")
        >>> rs = RewritingSystem()
        >>> rs.add_relation(A * B, B)  # A B = B and B A = A overlap in "A B A"
        >>> rs.add_relation(B * A, A)
        >>> rs.unresolved_ambiguities()
        [('A', 'B', 'A'), ('B', 'A', 'B')]
        """
        return [w for w, r1, r2 in self.ambiguities() if not self.equal(r1, r2)]


@dataclass(frozen=True)
class BlockMatrix:
    """``[[p, q], [r, s]]`` with noncommutative polynomial blocks.

    >>> A = Poly.letter("A")
    >>> L = BlockMatrix(Poly.one(), Poly.zero(), A, Poly.one())
    >>> (L * L).entries()
    (1, 0, 2*A, 1)
    """

    p: Poly
    q: Poly
    r: Poly
    s: Poly

    def entries(self) -> tuple:
        return (self.p, self.q, self.r, self.s)

    def __mul__(self, o: "BlockMatrix") -> "BlockMatrix":
        return BlockMatrix(
            self.p * o.p + self.q * o.r,
            self.p * o.q + self.q * o.s,
            self.r * o.p + self.s * o.r,
            self.r * o.q + self.s * o.s,
        )

    def __add__(self, o: "BlockMatrix") -> "BlockMatrix":
        return BlockMatrix(*(x + y for x, y in zip(self.entries(), o.entries())))

    def __neg__(self) -> "BlockMatrix":
        return BlockMatrix(*(-x for x in self.entries()))

    def __sub__(self, o: "BlockMatrix") -> "BlockMatrix":
        return self + (-o)
