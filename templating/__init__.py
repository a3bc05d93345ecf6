"""Go text/template support: a parser for the Go dialect (goparse) and the function names (functions)."""
