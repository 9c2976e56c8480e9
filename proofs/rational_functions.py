"""Rational expressions in named symbols: a safe parser and exact rational functions (python-flint).

Part of the trusted base (standard library and python-flint only). The
grammar is the one of symbolic certificates and of symbolic input cells
(``docs/certificate.md``, section "Symbolic certificates"):

    expression = term (("+" | "-") term)*
    term       = unary (("*" | "/") unary)*
    unary      = ("+" | "-") unary | power
    power      = atom (("^" | "**") whole number from 0 to MAX_POWER)?
    atom       = number | symbol | "(" expression ")"

Numbers are decimals such as ``3``, ``0.25`` or ``1.5e-3`` (a fraction is a
division), symbols are identifiers; nothing is ever evaluated as code, and a
function call such as ``sin(x)`` is refused with a sentence. :func:`parse`
builds the value from callbacks, so the same grammar serves the checker
(:class:`RationalFunction`) and the builders (SymPy's fraction field).

>>> field = Field(["a", "b"])
>>> x = field.parse("(a^2 - b**2) / (a + b)")
>>> x, x == field.parse("a - b"), field.parse("2*a/4") == field.parse("a/2")
(a - b, True, True)
>>> field.parse("1/(a - a)")
Traceback (most recent call last):
...
ValueError: it divides by zero
>>> field.parse("sin(a)")
Traceback (most recent call last):
...
ValueError: it calls the function sin, but only numbers and symbols joined by + - * / and whole powers ^ are allowed
"""
import re

from flint import fmpq, fmpq_mpoly_ctx, fmpz

MAX_POWER = 1000  # largest exponent written after ^ or **
MAX_WORK = 10 ** 6  # products of the sizes (terms) of the operands of * and /, added up over one expression
_TOKEN = re.compile(r"\s*(?:([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/^()]))")
SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def tokens(text):
    """The tokens of ``text`` as (kind, text) pairs, kind "number", "symbol" or "operator"; ValueError if none fits.

    >>> tokens("2*x1^3")
    [('number', '2'), ('operator', '*'), ('symbol', 'x1'), ('operator', '^'), ('number', '3')]
    """
    out, at, text = [], 0, text.rstrip()
    while at < len(text):
        m = _TOKEN.match(text, at)
        if m is None:
            where = len(text) - len(text[at:].lstrip())
            raise ValueError(f"it has {text[where]!r} at character {where + 1}, which is not part of an expression")
        kind = "number" if m[1] else "symbol" if m[2] else "operator"
        out.append((kind, m[m.lastindex]))
        at = m.end()
    return out


def parse(text, number, symbol, size=lambda value: 1, max_work=MAX_WORK, divided=lambda divisor: None):
    """The value of the expression ``text``: ``number(digits)`` and ``symbol(name)`` give the atoms, which are
    then combined with + - * / and ** (whole exponents); ``size(value)`` (terms) bounds the work:
    the products of the operands' sizes of all * and / may add up to at most ``max_work``.
    ``divided(divisor)`` is told of every value the expression divides by.

    Raises ValueError with a reason that completes "the entry is ... because" (or the callbacks' own).

    >>> from fractions import Fraction
    >>> parse("-x^2 + 1/2", Fraction, {"x": Fraction(3)}.__getitem__)
    Fraction(-17, 2)
    >>> parse("2x", Fraction, {"x": Fraction(3)}.__getitem__)
    Traceback (most recent call last):
    ...
    ValueError: it has 'x' where an operator or the end was expected
    """
    items = tokens(text)
    if not items:
        raise ValueError("it is empty")
    at, work = 0, 0

    def peek():
        return items[at][1] if at < len(items) else None

    def take():
        nonlocal at
        at += 1
        return items[at - 1]

    def product(x, y, op):
        nonlocal work
        work += size(x) * size(y)
        if work > max_work:
            raise ValueError(f"expanding it takes more than {max_work} products of terms, beyond the limit")
        try:
            return op(x, y)
        except ZeroDivisionError:
            raise ValueError("it divides by zero") from None

    def expression():
        value = term()
        while peek() in ("+", "-"):
            value = value + term() if take()[1] == "+" else value - term()  # the operator is taken first
        return value

    def term():
        value = unary()
        while peek() in ("*", "/"):
            if take()[1] == "*":
                value = product(value, unary(), lambda x, y: x * y)
            else:
                divisor = unary()
                divided(divisor)
                value = product(value, divisor, lambda x, y: x / y)
        return value

    def unary():
        if peek() in ("+", "-"):
            return unary() if take()[1] == "+" else -unary()
        return power()

    def power():
        base = atom()
        if peek() not in ("^", "**"):
            return base
        take()
        kind, exponent = take() if at < len(items) else (None, "")
        if kind != "number" or not exponent.isdigit() or int(exponent) > MAX_POWER:
            raise ValueError(f"it has the exponent {exponent!r}, but exponents must be whole numbers "
                             f"from 0 to {MAX_POWER}")
        value = number("1")
        for _ in range(int(exponent)):
            value = product(value, base, lambda x, y: x * y)
        return value

    def atom():
        if at == len(items):
            raise ValueError("it ends where a number, a symbol or ( was expected")
        kind, token = take()
        if kind == "number":
            return number(token)
        if kind == "symbol":
            if peek() == "(":
                raise ValueError(f"it calls the function {token}, but only numbers and symbols joined by "
                                 "+ - * / and whole powers ^ are allowed")
            return symbol(token)
        if token == "(":
            value = expression()
            if peek() != ")":
                raise ValueError("it has a ( that is not closed")
            take()
            return value
        raise ValueError(f"it has {token!r} where a number, a symbol or ( was expected")

    try:
        value = expression()
    except RecursionError:
        raise ValueError("it is nested too deeply") from None
    if at < len(items):
        raise ValueError(f"it has {items[at][1]!r} where an operator or the end was expected")
    return value


class RationalFunction:
    """``num / den`` over ``QQ``: fmpq_mpolys without common factor, ``den`` with leading coefficient 1."""

    __slots__ = ("num", "den")

    def __init__(self, num, den=None):
        if den is None:
            self.num, self.den = num, num.context().constant(1)
            return
        if den == 0:
            raise ZeroDivisionError("division by the zero rational function")
        g = num.gcd(den)
        num, den = num / g, den / g  # exact divisions
        lead = den.leading_coefficient()
        self.num, self.den = num / lead, den / lead

    def __add__(self, other):
        return RationalFunction(self.num * other.den + other.num * self.den, self.den * other.den)

    def __sub__(self, other):
        return RationalFunction(self.num * other.den - other.num * self.den, self.den * other.den)

    def __neg__(self):
        return RationalFunction(-self.num, self.den)

    def __mul__(self, other):
        return RationalFunction(self.num * other.num, self.den * other.den)

    def __truediv__(self, other):
        return RationalFunction(self.num * other.den, self.den * other.num)

    def __eq__(self, other):
        if not isinstance(other, RationalFunction):  # a number, as in ``scale == 0``
            return self.den == 1 and self.num == other
        return self.num == other.num and self.den == other.den

    __hash__ = None

    def size(self):
        """Terms of the numerator and the denominator: the cost of a product grows with their products."""
        return len(self.num) + len(self.den)

    def __str__(self):
        num, den = str(self.num), str(self.den)
        return num if den == "1" else f"({num})/({den})"

    __repr__ = __str__


class Field:
    """The rational functions over ``QQ`` in the given symbols; :meth:`parse` reads one expression.

    ``divisions`` lists, for every expression read, each (text, numerator of a divisor): the polynomials
    that must not vanish for the text, evaluated as written, to be defined.

    >>> Field(["x"]).parse("y")
    Traceback (most recent call last):
    ...
    ValueError: it uses the symbol y, which is not declared
    """

    def __init__(self, names):
        self.ctx = fmpq_mpoly_ctx.get(tuple(names), "lex")
        self.gens = dict(zip(names, map(RationalFunction, self.ctx.gens())))
        self.divisions = []

    def number(self, digits):
        mantissa, _, exponent = digits.lower().partition("e")
        whole, _, fraction = mantissa.partition(".")
        e = int(exponent or 0) - len(fraction) if len(exponent) < 8 else 10 ** 8
        if abs(e) > 10 ** 4:
            shown = digits if len(digits) <= 20 else digits[:17] + "..."
            raise ValueError(f"it has the number {shown}, whose exponent is beyond the limit of 10000")
        q = fmpq(fmpz(whole + fraction)) * fmpq(10) ** e  # fmpz: int() refuses 4300+ digits
        return RationalFunction(self.ctx.constant(q))

    def symbol(self, name):
        if name not in self.gens:
            raise ValueError(f"it uses the symbol {name}, which is not declared")
        return self.gens[name]

    def parse(self, text):
        return parse(text, self.number, self.symbol, RationalFunction.size,
                     divided=lambda divisor: self.divisions.append((text, divisor.num)))


def uncovered(poly, conditions):
    """What is left of the polynomial ``poly`` after dividing out every factor it shares with a condition.

    Constant exactly when every irreducible factor of ``poly`` divides one of ``conditions`` (polynomials):
    then ``poly`` is nonzero wherever all conditions are.

    >>> a, b = Field(["a", "b"]).ctx.gens()
    >>> uncovered(a**3 * (a + b), [a, a + b]), uncovered(a * b, [a])
    (1, b)
    """
    for c in conditions:
        g = poly.gcd(c)
        while g.total_degree() > 0:
            poly = poly / g
            g = poly.gcd(c)
    return poly / poly.leading_coefficient()
