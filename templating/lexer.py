"""Lexer for Go text/template source, following the token rules of Go's text/template/parse."""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass

from templating.literals import go_quote

LEFT_DELIM = "{{"
RIGHT_DELIM = "}}"
LEFT_COMMENT = "/*"
RIGHT_COMMENT = "*/"
# Go trims exactly these four characters around "{{- " and " -}}", nothing Unicode.
SPACE_CHARS = " \t\r\n"


class T(enum.Enum):
    """Token types; the members after KEYWORD print as <word> in Go's error messages."""

    ERROR = enum.auto()
    BOOL = enum.auto()
    CHAR = enum.auto()  # a single ASCII punctuation character such as ","
    CHAR_CONSTANT = enum.auto()
    COMMENT = enum.auto()
    COMPLEX = enum.auto()
    ASSIGN = enum.auto()
    DECLARE = enum.auto()
    EOF = enum.auto()
    FIELD = enum.auto()
    IDENTIFIER = enum.auto()
    LEFT_DELIM = enum.auto()
    LEFT_PAREN = enum.auto()
    NUMBER = enum.auto()
    PIPE = enum.auto()
    RAW_STRING = enum.auto()
    RIGHT_DELIM = enum.auto()
    RIGHT_PAREN = enum.auto()
    SPACE = enum.auto()
    STRING = enum.auto()
    TEXT = enum.auto()
    VARIABLE = enum.auto()
    KEYWORD = enum.auto()
    BLOCK = enum.auto()
    BREAK = enum.auto()
    CONTINUE = enum.auto()
    DOT = enum.auto()
    DEFINE = enum.auto()
    ELSE = enum.auto()
    END = enum.auto()
    IF = enum.auto()
    NIL = enum.auto()
    RANGE = enum.auto()
    TEMPLATE = enum.auto()
    WITH = enum.auto()


KEYWORDS: dict[str, T] = {
    ".": T.DOT,
    "block": T.BLOCK,
    "break": T.BREAK,
    "continue": T.CONTINUE,
    "define": T.DEFINE,
    "else": T.ELSE,
    "end": T.END,
    "if": T.IF,
    "range": T.RANGE,
    "nil": T.NIL,
    "template": T.TEMPLATE,
    "with": T.WITH,
}
_KEYWORD_TYPES = frozenset(KEYWORDS.values())


@dataclass(frozen=True, slots=True)
class Token:
    """One lexed item: its type, its exact source text (or error message) and its character offset."""

    type: T
    value: str
    offset: int

    def describe(self) -> str:
        """Render the token the way Go's item.String does, for 'unexpected X in Y' messages."""
        if self.type is T.EOF:
            return "EOF"
        if self.type is T.ERROR:
            return self.value
        if self.type in _KEYWORD_TYPES:
            return f"<{self.value}>"
        if len(self.value) > 10:
            return go_quote(self.value[:10]) + "..."
        return go_quote(self.value)


class Positions:
    """Maps character offsets in a source text to 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self._newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        self._length = len(text)

    def line_col(self, offset: int) -> tuple[int, int]:
        """Return the 1-based line and column of a character offset."""
        line_index = bisect_right(self._newlines, offset - 1)
        line_start = self._newlines[line_index - 1] + 1 if line_index else 0
        return line_index + 1, offset - line_start + 1

    def offset(self, line: int, column: int) -> int:
        """Inverse of line_col."""
        line_start = self._newlines[line - 2] + 1 if line > 1 else 0
        return min(line_start + column - 1, self._length)


def go_rune(ch: str) -> str:
    """Format a character like Go's %#U verb: U+0023 '#'."""
    if ch.isprintable():
        return f"U+{ord(ch):04X} '{ch}'"
    return f"U+{ord(ch):04X}"


def is_space(ch: str) -> bool:
    """Go's lexer treats space, tab, CR and LF as separators inside actions."""
    return ch in SPACE_CHARS and ch != ""


def is_alnum(ch: str) -> bool:
    """Identifier characters: underscore, Unicode letters and decimal digits (Go's isAlphaNumeric)."""
    return ch == "_" or ch.isalpha() or ch.isdecimal()


class _Lexer:
    def __init__(self, text: str, break_ok: bool, continue_ok: bool) -> None:
        self.text = text
        self.pos = 0
        self.start = 0
        self.paren_depth = 0
        self.break_ok = break_ok
        self.continue_ok = continue_ok
        self.tokens: list[Token] = []

    # Character helpers; "" stands for end of input.
    def peek(self, at: int = 0) -> str:
        i = self.pos + at
        return self.text[i] if i < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        if ch:
            self.pos += 1
        return ch

    def accept(self, valid: str) -> bool:
        ch = self.peek()
        if ch and ch in valid:
            self.pos += 1
            return True
        return False

    def accept_run(self, valid: str) -> None:
        while self.accept(valid):
            pass

    def emit(self, typ: T) -> None:
        self.tokens.append(Token(typ, self.text[self.start : self.pos], self.start))
        self.start = self.pos

    def error(self, message: str, offset: int | None = None) -> None:
        self.tokens.append(Token(T.ERROR, message, self.start if offset is None else offset))

    def has_left_trim_marker(self, at: int) -> bool:
        # "{{-" only trims when a space follows, so that "{{-3}}" stays the number -3.
        return self.text.startswith("-", at) and at + 1 < len(self.text) and is_space(self.text[at + 1])

    def at_right_delim(self) -> tuple[bool, bool]:
        """Whether a right delimiter starts here, and whether it carries a " -" trim marker."""
        p = self.pos
        if (
            p + 1 < len(self.text)
            and is_space(self.text[p])
            and self.text[p + 1] == "-"
            and self.text.startswith(RIGHT_DELIM, p + 2)
        ):
            return True, True
        return self.text.startswith(RIGHT_DELIM, p), False

    def at_terminator(self) -> bool:
        ch = self.peek()
        if ch == "" or is_space(ch) or ch in ".,|:()":
            return True
        return self.text.startswith(RIGHT_DELIM, self.pos)

    def run(self) -> list[Token]:
        """Lex the whole input; the list ends with EOF or with the first ERROR token."""
        inside = False
        while True:
            ok = self.lex_inside_action() if inside else self.lex_text()
            if ok is None:
                return self.tokens
            inside = ok

    # Each state returns whether the lexer is now inside an action, or None when finished.
    def lex_text(self) -> bool | None:
        x = self.text.find(LEFT_DELIM, self.pos)
        if x < 0:
            self.pos = len(self.text)
            if self.pos > self.start:
                self.emit(T.TEXT)
            self.emit(T.EOF)
            return None
        end = x
        if self.has_left_trim_marker(x + len(LEFT_DELIM)):
            end = len(self.text[self.start : x].rstrip(SPACE_CHARS)) + self.start
        if end > self.start:
            self.tokens.append(Token(T.TEXT, self.text[self.start : end], self.start))
        self.pos = self.start = x
        return self.lex_left_delim()

    def lex_left_delim(self) -> bool | None:
        self.pos += len(LEFT_DELIM)
        after = 2 if self.has_left_trim_marker(self.pos) else 0
        if self.text.startswith(LEFT_COMMENT, self.pos + after):
            self.pos += after
            self.start = self.pos
            return self.lex_comment()
        self.emit(T.LEFT_DELIM)
        self.pos += after
        self.start = self.pos
        self.paren_depth = 0
        return True

    def lex_comment(self) -> bool | None:
        x = self.text.find(RIGHT_COMMENT, self.pos + len(LEFT_COMMENT))
        if x < 0:
            self.error("unclosed comment")
            return None
        self.pos = x + len(RIGHT_COMMENT)
        delim, trim = self.at_right_delim()
        if not delim:
            self.error("comment ends before closing delimiter")
            return None
        self.emit(T.COMMENT)
        if trim:
            self.pos += 2
        self.pos += len(RIGHT_DELIM)
        if trim:
            self.skip_leading_space()
        self.start = self.pos
        return False

    def skip_leading_space(self) -> None:
        while self.peek() and self.peek() in SPACE_CHARS:
            self.pos += 1

    def lex_right_delim(self) -> bool | None:
        _, trim = self.at_right_delim()
        if trim:
            self.pos += 2
            self.start = self.pos
        self.pos += len(RIGHT_DELIM)
        self.emit(T.RIGHT_DELIM)
        if trim:
            self.skip_leading_space()
            self.start = self.pos
        return False

    def lex_inside_action(self) -> bool | None:
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim()
            self.error("unclosed left paren")
            return None
        ch = self.next()
        if ch == "":
            self.error("unclosed action")
            return None
        if is_space(ch):
            self.pos -= 1
            return self.lex_space()
        simple = {"=": T.ASSIGN, "|": T.PIPE}
        if ch in simple:
            self.emit(simple[ch])
        elif ch == ":":
            if self.next() != "=":
                self.error("expected :=")
                return None
            self.emit(T.DECLARE)
        elif ch == '"':
            return self.lex_quote()
        elif ch == "`":
            return self.lex_raw_quote()
        elif ch == "$":
            return self.lex_variable()
        elif ch == "'":
            return self.lex_char()
        elif ch == "." and not "0" <= self.peek() <= "9":
            return self.lex_field_or_variable(T.FIELD)
        elif ch in ".+-" or "0" <= ch <= "9":
            self.pos -= 1
            return self.lex_number()
        elif is_alnum(ch):
            self.pos -= 1
            return self.lex_identifier()
        elif ch == "(":
            self.paren_depth += 1
            self.emit(T.LEFT_PAREN)
        elif ch == ")":
            self.paren_depth -= 1
            if self.paren_depth < 0:
                self.error("unexpected right paren")
                return None
            self.emit(T.RIGHT_PAREN)
        elif ord(ch) < 0x80 and ch.isprintable():
            self.emit(T.CHAR)
        else:
            self.error(f"unrecognized character in action: {go_rune(ch)}", self.pos - 1)
            return None
        return True

    def lex_space(self) -> bool | None:
        count = 0
        while is_space(self.peek()):
            self.pos += 1
            count += 1
        # A trim-marked right delimiter begins with a space: leave that space for it.
        if self.peek() == "-" and self.text.startswith(RIGHT_DELIM, self.pos + 1):
            self.pos -= 1
            if count == 1:
                return self.lex_right_delim()
        self.emit(T.SPACE)
        return True

    def lex_identifier(self) -> bool | None:
        while is_alnum(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            self.error(f"bad character {go_rune(self.peek())}", self.pos)
            return None
        word = self.text[self.start : self.pos]
        keyword = KEYWORDS.get(word)
        if keyword is not None:
            # Go lets a function named break/continue shadow the keyword.
            shadowed = (keyword is T.BREAK and not self.break_ok) or (keyword is T.CONTINUE and not self.continue_ok)
            self.emit(T.IDENTIFIER if shadowed else keyword)
        elif word in ("true", "false"):
            self.emit(T.BOOL)
        else:
            self.emit(T.IDENTIFIER)
        return True

    def lex_variable(self) -> bool | None:
        if self.at_terminator():
            self.emit(T.VARIABLE)
            return True
        return self.lex_field_or_variable(T.VARIABLE)

    def lex_field_or_variable(self, typ: T) -> bool | None:
        if self.at_terminator():
            self.emit(T.VARIABLE if typ is T.VARIABLE else T.DOT)
            return True
        while is_alnum(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            self.error(f"bad character {go_rune(self.peek())}", self.pos)
            return None
        self.emit(typ)
        return True

    def lex_char(self) -> bool | None:
        while True:
            ch = self.next()
            if ch == "\\":
                ch = self.next()
                if ch not in ("", "\n"):
                    continue
            if ch in ("", "\n"):
                self.error("unterminated character constant")
                return None
            if ch == "'":
                break
        self.emit(T.CHAR_CONSTANT)
        return True

    def lex_quote(self) -> bool | None:
        while True:
            ch = self.next()
            if ch == "\\":
                ch = self.next()
                if ch not in ("", "\n"):
                    continue
            if ch in ("", "\n"):
                self.error("unterminated quoted string")
                return None
            if ch == '"':
                break
        self.emit(T.STRING)
        return True

    def lex_raw_quote(self) -> bool | None:
        x = self.text.find("`", self.pos)
        if x < 0:
            self.error("unterminated raw quoted string")
            return None
        self.pos = x + 1
        self.emit(T.RAW_STRING)
        return True

    def lex_number(self) -> bool | None:
        if not self.scan_number():
            self.error(f"bad number syntax: {go_quote(self.text[self.start : self.pos])}")
            return None
        if self.peek() in ("+", "-"):
            # Complex constant such as 1+2i: no spaces, must end in 'i'.
            if not self.scan_number() or self.text[self.pos - 1] != "i":
                self.error(f"bad number syntax: {go_quote(self.text[self.start : self.pos])}")
                return None
            self.emit(T.COMPLEX)
        else:
            self.emit(T.NUMBER)
        return True

    def scan_number(self) -> bool:
        # Deliberately loose, like Go's: the parser validates the literal afterwards.
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if is_alnum(self.peek()):
            self.pos += 1
            return False
        return True


def lex(text: str, funcs: Collection[str]) -> list[Token]:
    """Tokenise template text; the result ends with an EOF token or with the first ERROR token."""
    return _Lexer(text, "break" not in funcs, "continue" not in funcs).run()
