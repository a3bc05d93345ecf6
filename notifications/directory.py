"""The group directory: approver groups expanded into e-mail addresses, from a YAML file the operator keeps.

Identity providers tell the API which groups a caller is in, never who is in a group; a mail to the approvers
of a group needs this list. An entry may be the list address of the group itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from domain.catalog.catalog import Catalog
from domain.globs import is_glob, match_pattern


class DirectoryError(ValueError):
    """The group directory cannot be used; the message names the file and what is wrong in it."""


@dataclass(frozen=True)
class GroupDirectory:
    """Group name -> addresses. Empty when no directory is configured."""

    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def load(cls, path: Path) -> GroupDirectory:
        """Read `path` (`group: [address, ...]`); an empty file is an empty directory."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise DirectoryError(f"group directory {path}: cannot be read: {exc}") from exc
        except yaml.YAMLError as exc:
            raise DirectoryError(f"group directory {path}: not valid YAML: {exc}") from exc
        if data is None:
            return cls(path=path)
        if not isinstance(data, dict):
            raise DirectoryError(
                f"group directory {path}: must be a mapping of group to a list of addresses, got {type(data).__name__}"
            )
        groups: dict[str, tuple[str, ...]] = {}
        for group, entries in data.items():
            if not isinstance(group, str) or not group.strip():
                raise DirectoryError(f"group directory {path}: group name {group!r} is not a non-empty string")
            if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
                raise DirectoryError(f'group directory {path}: group "{group}" must be a list of addresses (strings)')
            addresses = tuple(e.strip() for e in entries)
            for address in addresses:
                if "@" not in address:
                    raise DirectoryError(
                        f'group directory {path}: group "{group}": entry "{address}" is not an e-mail address'
                    )
            groups[group.strip()] = addresses
        return cls(groups=groups, path=path)

    def expand(self, groups: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(addresses of `groups`, deduplicated case-insensitively in order; the groups with no entry).

        An approver group that is a glob (approver matching treats it as one) expands to every listed group
        it matches.
        """
        addresses: list[str] = []
        seen: set[str] = set()
        missing: list[str] = []
        for group in groups:
            names = self._matching(group)
            if not names:
                missing.append(group)
            for name in names:
                for address in self.groups[name]:
                    if address.lower() not in seen:
                        seen.add(address.lower())
                        addresses.append(address)
        return tuple(addresses), tuple(missing)

    def lists(self, group: str) -> bool:
        """True if `group` (or, for a glob, some group it matches) has an entry."""
        return bool(self._matching(group))

    def describe(self) -> str:
        """How messages name this directory."""
        if self.path is None:
            return "the group directory (none is configured: DEBUG_SESSION_GROUP_DIRECTORY)"
        return f"the group directory {self.path}"

    def _matching(self, group: str) -> list[str]:
        if is_glob(group):
            return [name for name in self.groups if match_pattern(group, name)]
        return [group] if group in self.groups else []


def unexpanded_approver_groups(catalog: Catalog, directory: GroupDirectory) -> list[str]:
    """One warning per approver group of a template or binding that the directory does not list."""
    users: dict[str, list[str]] = {}
    for name, template in sorted(catalog.session_templates.items()):
        if template.spec.approvers is not None:
            for group in template.spec.approvers.groups:
                users.setdefault(group, []).append(f'template "{name}"')
    for ref, binding in sorted(catalog.bindings.items()):
        if binding.spec.approvers is not None:
            for group in binding.spec.approvers.groups:
                users.setdefault(group, []).append(f'binding "{ref}"')
    return [
        f'approver group "{group}" ({", ".join(where)}) is not in {directory.describe()}: its members get no e-mail'
        for group, where in sorted(users.items())
        if not directory.lists(group)
    ]
