"""toYaml / fromYaml as Helm does them (sigs.k8s.io/yaml: via JSON, keys sorted, go-yaml's styles)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import yaml

from templating.values import GoInt64


class _GoYamlDumper(yaml.SafeDumper):
    """A dumper whose scalar styles follow go-yaml v2 where PyYAML's defaults differ."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # go-yaml uses a literal block for multi-line strings and double quotes for strings that would
    # otherwise read back as another type ("true", "1", "null").
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    implicit = dumper.resolve(yaml.ScalarNode, data, (True, False))  # type: ignore[no-untyped-call]
    if implicit != "tag:yaml.org,2002:str" or data == "":
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


def _represent_float(dumper: yaml.SafeDumper, data: float) -> yaml.ScalarNode:
    # Through JSON an integral float64 becomes an integer ("1" not "1.0").
    if math.isfinite(data) and data == int(data) and abs(data) < 1e21:
        return dumper.represent_int(int(data))
    return dumper.represent_scalar("tag:yaml.org,2002:float", repr(data))


_GoYamlDumper.add_representer(str, _represent_str)
_GoYamlDumper.add_representer(float, _represent_float)
_GoYamlDumper.add_representer(GoInt64, yaml.SafeDumper.represent_int)


def _plain(v: Any) -> Any:
    """Copy into plain dicts and lists, with string keys, as the JSON round trip does."""
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


def to_yaml(v: Any) -> str:
    """Helm's toYaml: YAML with sorted keys, two-space indent, trailing newline trimmed."""
    text = yaml.dump(
        _plain(v),
        Dumper=_GoYamlDumper,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        indent=2,
        width=80,
    )
    if text.endswith("\n...\n"):
        text = text[: -len("...\n")]
    return text[:-1] if text.endswith("\n") else text


def _numbers_as_float(v: Any) -> Any:
    """JSON decoding into interface{} makes every number a float64."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, date):
        # YAML timestamps reach a Go template as the strings JSON made of them.
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _numbers_as_float(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_numbers_as_float(x) for x in v]
    return v


def from_yaml(text: str) -> Any:
    """Helm's fromYaml: a map (numbers as float64); ValueError with the parser's message if invalid."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"error converting YAML to JSON: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("error unmarshaling JSON: cannot unmarshal into map[string]interface {}")
    return _numbers_as_float(data)
