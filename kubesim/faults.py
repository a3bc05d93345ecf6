"""Fault injection: seeded error rates, latency, fail-next-N and dropped connections per verb/resource."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

import yaml

from kubesim.errors import ApiError

_MESSAGES = {
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: kubesim injected fault"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: (
        "Timeout",
        "the server was unable to return a response in the time allotted, but may still be processing the request",
    ),
}


@dataclass
class FaultRule:
    """When a request matches (`verbs`, `resources`, `namespaces`; empty means any), maybe inject a fault."""

    verbs: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    rate: float = 1.0
    code: int | None = None
    retry_after: int = 1
    latency: float = 0.0
    fail_next: int | None = None
    drop: bool = False

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FaultRule:
        """Build from the YAML/JSON form (`failNext`, `retryAfter`, `latencyMs` or `latency` seconds)."""
        latency = float(d.get("latency", 0.0))
        if "latencyMs" in d:
            latency = float(d["latencyMs"]) / 1000
        fail_next = d.get("failNext")
        return cls(
            verbs=_as_list(d.get("verbs", d.get("verb"))),
            resources=_as_list(d.get("resources", d.get("resource"))),
            namespaces=_as_list(d.get("namespaces", d.get("namespace"))),
            rate=float(d.get("rate", 1.0)),
            code=int(d["code"]) if d.get("code") is not None else None,
            retry_after=int(d.get("retryAfter", 1)),
            latency=latency,
            fail_next=int(fail_next) if fail_next is not None else None,
            drop=bool(d.get("drop", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON form."""
        return {
            "verbs": self.verbs,
            "resources": self.resources,
            "namespaces": self.namespaces,
            "rate": self.rate,
            "code": self.code,
            "retryAfter": self.retry_after,
            "latency": self.latency,
            "failNext": self.fail_next,
            "drop": self.drop,
        }

    def matches(self, verb: str, resource: str, namespace: str) -> bool:
        """Whether the rule applies to this request; `resource` may be `pods` or `pods/log`."""
        if self.verbs and verb not in self.verbs and "*" not in self.verbs:
            return False
        if self.resources and "*" not in self.resources:
            base = resource.split("/", 1)[0]
            if resource not in self.resources and base not in self.resources:
                return False
        return not (self.namespaces and namespace not in self.namespaces)


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return [str(x) for x in v]


@dataclass
class Fault:
    """What to do to one request."""

    latency: float = 0.0
    error: ApiError | None = None
    drop: bool = False


class FaultInjector:
    """Thread-safe, seedable rule set consulted before every API request."""

    def __init__(self, rules: list[FaultRule] | None = None, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self.rules: list[FaultRule] = list(rules or [])
        self.seed = seed
        self._rng = random.Random(seed)
        self.injected = 0

    def configure(self, doc: Any) -> None:
        """Replace rules from `{seed, rules: [...]}` or a bare list of rules."""
        if isinstance(doc, list):
            doc = {"rules": doc}
        doc = doc or {}
        with self._lock:
            self.rules = [FaultRule.from_dict(r) for r in doc.get("rules") or []]
            if "seed" in doc:
                self.seed = doc["seed"]
                self._rng = random.Random(self.seed)

    def load_yaml(self, text: str) -> None:
        """Configure from a `--faults` YAML document."""
        self.configure(yaml.safe_load(text))

    def add(self, rule: FaultRule) -> None:
        """Add one rule at run time."""
        with self._lock:
            self.rules.append(rule)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self.rules = []

    def describe(self) -> dict[str, Any]:
        """The current configuration, as the admin endpoint returns it."""
        with self._lock:
            return {"seed": self.seed, "rules": [r.to_dict() for r in self.rules], "injected": self.injected}

    def decide(self, verb: str, resource: str, namespace: str) -> Fault | None:
        """The fault to inject into this request, if any."""
        if not self.rules:
            return None
        with self._lock:
            out = Fault()
            hit = False
            for rule in self.rules:
                if not rule.matches(verb, resource, namespace):
                    continue
                if rule.fail_next is not None:
                    if rule.fail_next <= 0:
                        continue
                    rule.fail_next -= 1
                elif rule.rate < 1.0 and self._rng.random() >= rule.rate:
                    continue
                hit = True
                out.latency += rule.latency
                if rule.drop:
                    out.drop = True
                if rule.code is not None and out.error is None:
                    out.error = _error(rule.code, rule.retry_after)
            if hit:
                self.injected += 1
                return out
            return None


def _error(code: int, retry_after: int) -> ApiError:
    reason, message = _MESSAGES.get(code, ("InternalError", "Internal error occurred: kubesim injected fault"))
    details: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if code == 429:
        details["retryAfterSeconds"] = retry_after
        headers["Retry-After"] = str(retry_after)
    elif code == 500:
        details["causes"] = [{"message": "kubesim injected fault"}]
    elif code in (503, 504) and retry_after:
        details["retryAfterSeconds"] = retry_after
        headers["Retry-After"] = str(retry_after)
    return ApiError(code, reason, message, details, headers)
