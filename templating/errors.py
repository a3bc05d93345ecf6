"""The exceptions of the Go-template engine: syntax errors (parse) and execution errors (render)."""

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


class TemplateRenderError(Exception):
    """A failure while executing a template, worded like Go's ExecError.

    line and column locate the failing node the way Go's ErrorContext does (the column is Go's: a
    0-based byte offset within the line); message is the part after the location.
    """

    def __init__(self, template: str, line: int, column: int, message: str) -> None:
        super().__init__(f"template: {template}:{line}:{column}: {message}")
        self.template = template
        self.line = line
        self.column = column
        self.message = message

    def __reduce__(self) -> tuple[type[TemplateRenderError], tuple[str, int, int, str]]:
        # Keeps the error picklable, as for TemplateSyntaxError.
        return type(self), (self.template, self.line, self.column, self.message)
