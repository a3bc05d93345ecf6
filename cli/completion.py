"""Shell completion for dsctl, generated from its own argument parser: `dsctl completion bash|zsh|fish`.

Commands, actions and options come from the parser (so they never drift from the code); the names of
sessions and templates come from the API at completion time (`dsctl session list -o name`, with the
user's server, token and context), and nothing is offered when it cannot answer.
"""

from __future__ import annotations

import argparse
from typing import Any

SESSION_ACTIONS = ("get", "approve", "reject", "renew", "terminate", "join", "leave", "invite", "exec", "kubeconfig")
TEMPLATE_ACTIONS = ("get", "clusters")


def tree(parser: argparse.ArgumentParser) -> dict[str, dict[str, list[str]]]:
    """{command: {action ('' for a command without actions): [options]}}."""
    out: dict[str, dict[str, list[str]]] = {}
    for command, sub in _choices(parser).items():
        actions = _choices(sub)
        out[command] = {a: _options(p) for a, p in actions.items()} if actions else {"": _options(sub)}
    return out


def _choices(parser: argparse.ArgumentParser) -> dict[str, Any]:
    for action in parser._actions:  # argparse has no public accessor for its sub-commands
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(o for action in parser._actions for o in action.option_strings if o.startswith("--"))


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for `shell`."""
    commands = tree(parser)
    if shell == "fish":
        return _fish(commands)
    bash = _bash(commands)
    if shell == "zsh":
        return "autoload -U +X bashcompinit && bashcompinit\n" + bash
    return bash


def _bash(commands: dict[str, dict[str, list[str]]]) -> str:
    actions = "\n".join(
        f'        {c}) words="{" ".join(a for a in acts if a)}" ;;' for c, acts in commands.items() if "" not in acts
    )
    options = "\n".join(
        f'        "{f"{c} {a}" if a else c}") words="{" ".join(o)}" ;;'
        for c, acts in commands.items()
        for a, o in acts.items()
    )
    with_actions = "|".join(c for c, acts in commands.items() if "" not in acts)
    sessions = "|".join(f'"session {a}"' for a in SESSION_ACTIONS)
    templates = "|".join(f'"template {a}"' for a in TEMPLATE_ACTIONS)
    return f"""# dsctl completion for bash (source it, or put it in /etc/bash_completion.d/dsctl)
_dsctl() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} words=""
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "{" ".join(commands)}" -- "$cur")); return
    fi
    if [[ $COMP_CWORD -eq 2 ]]; then
        case "${{COMP_WORDS[1]}}" in
{actions}
        esac
        if [[ -n "$words" ]]; then COMPREPLY=($(compgen -W "$words" -- "$cur")); return; fi
    fi
    local key="${{COMP_WORDS[1]}}"
    case "$key" in {with_actions}) key="$key ${{COMP_WORDS[2]}}" ;; esac
    if [[ "$cur" == -* ]]; then
        case "$key" in
{options}
        esac
        COMPREPLY=($(compgen -W "$words" -- "$cur")); return
    fi
    if [[ $COMP_CWORD -eq 3 ]]; then
        case "$key" in
        {sessions}) words="$(dsctl session list -o name 2>/dev/null)" ;;
        {templates}) words="$(dsctl template list --all -o name 2>/dev/null)" ;;
        "pod-template get") words="$(dsctl pod-template list -o name 2>/dev/null)" ;;
        esac
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    fi
}}
complete -o default -F _dsctl dsctl
"""


def _fish(commands: dict[str, dict[str, list[str]]]) -> str:
    lines = [
        "# dsctl completion for fish (dsctl completion fish > ~/.config/fish/completions/dsctl.fish)",
        "complete -c dsctl -f",
        f'complete -c dsctl -n "__fish_use_subcommand" -a "{" ".join(commands)}"',
    ]
    for command, actions in commands.items():
        named = " ".join(a for a in actions if a)
        if named:
            when = f"__fish_seen_subcommand_from {command}; and not __fish_seen_subcommand_from {named}"
            lines.append(f'complete -c dsctl -n "{when}" -a "{named}"')
        for action, options in actions.items():
            seen = f"__fish_seen_subcommand_from {command}"
            seen += f"; and __fish_seen_subcommand_from {action}" if action else ""
            lines += [f'complete -c dsctl -n "{seen}" -l {option[2:]}' for option in options]
    names = (("session", SESSION_ACTIONS, "session list"), ("template", TEMPLATE_ACTIONS, "template list --all"))
    for command, names_of, lister in names:
        for action in names_of:
            when = f"__fish_seen_subcommand_from {command}; and __fish_seen_subcommand_from {action}"
            lines.append(f'complete -c dsctl -n "{when}" -a "(dsctl {lister} -o name 2>/dev/null)"')
    return "\n".join(lines) + "\n"
