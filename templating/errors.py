"""The one exception the Go-template parser raises."""

from __future__ import annotations


class TemplateSyntaxError(Exception):
    """A template that Go's text/template would reject, with a 1-based line and column."""

    def __init__(self, template: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{template}:{line}:{column}: {message}")
        self.template = template
        self.line = line
        self.column = column
        self.message = message

    def __reduce__(self) -> tuple[type[TemplateSyntaxError], tuple[str, int, int, str]]:
        # Keeps the error picklable (Exception's default would call __init__ with one argument).
        return type(self), (self.template, self.line, self.column, self.message)
