"""dsctl: the Debug Sessions command line. Today: `dsctl validate PATH...` (offline catalog validation)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from domain.catalog.catalog import load_catalog

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dsctl", description="Debug Sessions command line.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = sub.add_parser(
        "validate",
        help="validate catalog manifests offline",
        description=(
            "Validate DebugPodTemplate, DebugSessionTemplate, DebugSessionClusterBinding and ClusterConfig "
            "manifests (files, or directories searched recursively for *.yaml/*.yml) with the same rules as "
            "the running service. Prints one finding per line as file:doc:path: message (doc is the 1-based "
            "document number in the file). Exit status: 0 valid, 1 invalid, 2 usage error."
        ),
    )
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    validate.add_argument(
        "--strict",
        action="store_true",
        help="treat unknown fields, deprecated spellings and duplicate keys as errors",
    )
    validate.add_argument("-q", "--quiet", action="store_true", help="print errors only, no warnings")
    return parser


def validate(paths: Sequence[Path], strict: bool, quiet: bool) -> int:
    """Run the catalog validation and print findings; return the exit status."""
    result = load_catalog(paths, strict=strict)
    for d in sorted(result.diagnostics, key=lambda d: (d.file, d.doc, not d.is_error, d.path)):
        if quiet and not d.is_error:
            continue
        print(d)
    errors, warnings = len(result.errors), len(result.warnings)
    if result.catalog is not None:
        print(f"valid: {result.catalog.summary()}; {warnings} warning(s)", file=sys.stderr)
        return EXIT_VALID
    print(f"invalid: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return EXIT_INVALID


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `dsctl` console script."""
    args = _parser().parse_args(argv)
    if args.command == "validate":
        return validate(args.paths, args.strict, args.quiet)
    return EXIT_USAGE  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
