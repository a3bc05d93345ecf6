"""Optional authorization webhook: requests of non-admin identities are decided by a SubjectAccessReview.

A real cluster would be configured with `--authorization-mode=...,Webhook`; kubesim has no RBAC, so for
token users and impersonated users the webhook's answer is final, and the admin is never sent.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from kubesim.errors import ApiError
from kubesim.impersonation import Identity


@dataclass(frozen=True)
class Attributes:
    """What is being asked for, as resourceAttributes of a SubjectAccessReview."""

    verb: str
    group: str
    resource: str
    subresource: str
    namespace: str
    name: str


class WebhookAuthorizer:
    """POSTs authorization.k8s.io/v1 SubjectAccessReviews to `url`; failures deny (fail closed)."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    def review(self, ident: Identity, attrs: Attributes) -> dict[str, Any]:
        """The SubjectAccessReview request body."""
        resource: dict[str, Any] = {"verb": attrs.verb, "group": attrs.group, "version": "", "resource": attrs.resource}
        for key, value in (("subresource", attrs.subresource), ("namespace", attrs.namespace), ("name", attrs.name)):
            if value:
                resource[key] = value
        if ident.impersonated_user:
            user, groups = ident.impersonated_user, list(ident.impersonated_groups) or ["system:authenticated"]
        else:
            user, groups = ident.user, list(ident.groups)
        spec: dict[str, Any] = {"resourceAttributes": resource, "user": user, "groups": groups}
        if ident.impersonated_uid:
            spec["uid"] = ident.impersonated_uid
        if ident.extra:
            spec["extra"] = ident.extra
        return {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec}

    def check(self, ident: Identity, attrs: Attributes) -> None:
        """Raise the apiserver's 403 unless the webhook allows the request."""
        body = json.dumps(self.review(ident, attrs)).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json", "Accept": "application/json"}
        )
        reason = ""
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                status = json.loads(resp.read()).get("status") or {}
            allowed = bool(status.get("allowed")) and not status.get("denied")
            reason = str(status.get("reason") or "")
        except (OSError, ValueError, urllib.error.URLError) as exc:
            allowed, reason = False, f"authorization webhook failed: {exc}"
        if not allowed:
            raise forbidden(str(ident.impersonated_user or ident.user), attrs, reason)


def forbidden(user: str, attrs: Attributes, reason: str) -> ApiError:
    """403 worded like the apiserver's authorization failure."""
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    subject = f'{attrs.resource} "{attrs.name}"' if attrs.name else attrs.resource
    if attrs.group:
        subject = subject.replace(attrs.resource, f"{attrs.resource}.{attrs.group}", 1)
    scope = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    message = (
        f'{subject} is forbidden: User "{user}" cannot {attrs.verb} resource "{resource}" in API group '
        f'"{attrs.group}" {scope}'
    )
    if reason:
        message += f": {reason}"
    details: dict[str, Any] = {"name": attrs.name} if attrs.name else {}
    if attrs.group:
        details["group"] = attrs.group
    details["kind"] = attrs.resource
    return ApiError(403, "Forbidden", message, details)
