"""Go parameter types of the template functions, so arguments are checked the way Go's reflection does.

Go converts and checks each argument against the function's declared parameter type: a literal that does not
fit fails with `expected integer; found "a"`, a computed value with `wrong type for value; expected int;
got string`. Functions not listed take only interface{} (or reflect.Value) parameters and accept anything.
"""

from __future__ import annotations

from typing import Any

from templating.values import MISSING, GoInt64, go_type

# name -> space-separated parameter types; a trailing "..." type is variadic.
_SPECS: dict[str, str] = {
    # Go builtins with typed parameters.
    "printf": "string ...any",
    # Sprig strings.
    "upper": "string",
    "lower": "string",
    "title": "string",
    "untitle": "string",
    "trim": "string",
    "nospace": "string",
    "initials": "string",
    "swapcase": "string",
    "snakecase": "string",
    "camelcase": "string",
    "kebabcase": "string",
    "shuffle": "string",
    "trunc": "int string",
    "abbrev": "int string",
    "abbrevboth": "int int string",
    "substr": "int int string",
    "repeat": "int string",
    "trimAll": "string string",
    "trimall": "string string",
    "trimPrefix": "string string",
    "trimSuffix": "string string",
    "contains": "string string",
    "hasPrefix": "string string",
    "hasSuffix": "string string",
    "replace": "string string string",
    "plural": "string string int",
    "wrap": "int string",
    "wrapWith": "int string string",
    "indent": "int string",
    "nindent": "int string",
    "split": "string string",
    "splitList": "string string",
    "splitn": "string int string",
    "join": "string any",
    "randAlphaNum": "int",
    "randAlpha": "int",
    "randNumeric": "int",
    "randAscii": "int",
    "randInt": "int int",
    "randBytes": "int",
    "urlParse": "string",
    "urlJoin": "map",
    # Regular expressions.
    "regexMatch": "string string",
    "mustRegexMatch": "string string",
    "regexFind": "string string",
    "mustRegexFind": "string string",
    "regexFindAll": "string string int",
    "mustRegexFindAll": "string string int",
    "regexReplaceAll": "string string string",
    "mustRegexReplaceAll": "string string string",
    "regexReplaceAllLiteral": "string string string",
    "mustRegexReplaceAllLiteral": "string string string",
    "regexSplit": "string string int",
    "mustRegexSplit": "string string int",
    "regexQuoteMeta": "string",
    # Lists.
    "until": "int",
    "untilStep": "int int int",
    "seq": "...int",
    "chunk": "int any",
    # Dicts.
    "get": "map string",
    "set": "map string any",
    "unset": "map string",
    "hasKey": "map string",
    "pluck": "string ...map",
    "keys": "...map",
    "values": "map",
    "pick": "map ...string",
    "omit": "map ...string",
    "merge": "map ...map",
    "mustMerge": "map ...map",
    "mergeOverwrite": "map ...map",
    "mustMergeOverwrite": "map ...map",
    # Math, flow, encodings, hashes.
    "round": "any int ...float64",
    "ternary": "any any bool",
    "fail": "string",
    "b64enc": "string",
    "b64dec": "string",
    "b32enc": "string",
    "b32dec": "string",
    "fromJson": "string",
    "mustFromJson": "string",
    "fromYaml": "string",
    "sha1sum": "string",
    "sha256sum": "string",
    "sha512sum": "string",
    "adler32sum": "string",
    # Dates and types.
    "date": "string any",
    "dateInZone": "string any string",
    "date_in_zone": "string any string",
    "htmlDateInZone": "any string",
    "dateModify": "string time",
    "date_modify": "string time",
    "mustDateModify": "string time",
    "must_date_modify": "string time",
    "unixEpoch": "time",
    "toDate": "string string",
    "mustToDate": "string string",
    "kindIs": "string any",
    "typeIs": "string any",
    "typeIsLike": "string any",
    "semver": "string",
    "semverCompare": "string string",
    "base": "string",
    "dir": "string",
    "ext": "string",
    "clean": "string",
    "isAbs": "string",
    "osBase": "string",
    "osDir": "string",
    "osExt": "string",
    "osClean": "string",
    "osIsAbs": "string",
    # Breakglass.
    "truncName": "int string",
    "k8sName": "string",
    "parseQuantity": "string",
    "formatQuantity": "int64",
    "required": "string any",
    "yamlQuote": "string",
    "yamlSafe": "string",
    "resourceQuantity": "string",
}

# Go's spelling of each parameter type in messages.
GO_TYPE_NAMES = {
    "int": "int",
    "int64": "int64",
    "string": "string",
    "bool": "bool",
    "float64": "float64",
    "map": "map[string]interface {}",
    "time": "time.Time",
    "any": "interface {}",
}


def parameter_types(name: str, count: int) -> list[str] | None:
    """The Go parameter type of each of count arguments to name, or None when all are interface{}."""
    spec = _SPECS.get(name)
    if spec is None:
        return None
    types = spec.split()
    fixed = [t for t in types if not t.startswith("...")]
    variadic = next((t[3:] for t in types if t.startswith("...")), None)
    out = fixed[:count]
    while len(out) < count:
        out.append(variadic or "any")
    return out


def value_error(typ: str, v: Any) -> str | None:
    """Go's complaint when a computed value v is passed for a parameter of type typ, or None if it fits."""
    if typ == "any":
        return None
    if v is None or v is MISSING:
        # A nil can stand for a map; a zero Value cannot be converted to a basic type.
        return None if typ == "map" else f"invalid value; expected {GO_TYPE_NAMES[typ]}"
    fits = {
        "int": type(v) is int,
        "int64": isinstance(v, GoInt64),
        "string": isinstance(v, str),
        "bool": isinstance(v, bool),
        "float64": isinstance(v, float),
        "map": isinstance(v, dict),
        "time": go_type(v) == "time.Time",
    }[typ]
    if fits:
        return None
    return f"wrong type for value; expected {GO_TYPE_NAMES[typ]}; got {go_type(v)}"


def literal_error(typ: str, kind: str, value: Any, source: str) -> str | None:
    """Go's complaint when a constant (kind: int, float, char, complex, string, bool, nil) is passed."""
    if typ == "any":
        return None
    if kind == "nil":
        return None if typ == "map" else f"cannot assign nil to {GO_TYPE_NAMES[typ]}"
    if typ in ("int", "int64"):
        integral = kind in ("int", "char") or (kind == "float" and float(value).is_integer())
        return None if integral else f"expected integer; found {source}"
    if typ == "float64":
        return None if kind in ("int", "float", "char") else f"expected float; found {source}"
    if typ == "string":
        return None if kind == "string" else f"expected string; found {source}"
    if typ == "bool":
        return None if kind == "bool" else f"expected bool; found {source}"
    return f"can't handle {source} for arg of type {GO_TYPE_NAMES[typ]}"


def convert_literal(typ: str, value: Any) -> Any:
    """The constant as Go passes it: converted to the parameter's type."""
    if typ == "int":
        return int(value)
    if typ == "int64":
        return GoInt64(int(value))
    if typ == "float64":
        return float(value)
    return value
