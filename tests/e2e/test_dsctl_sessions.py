"""`dsctl session|template|pod-template` against the real API of `dsctl dev --simulate` (no mocks): a
session from request to end as a requester and an approver, every output format parsed, errors as one line
with their exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import yaml

from tests.dev_stack import DSCTL, DevStack, dev_stack
from tests.oidc_issuer import Issuer

TOKENS = {"sam": "dev-sam-token", "lena": "dev-lena-token", "dave": "dev-dave-token"}


def dsctl(stack: DevStack, user: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DSCTL_SERVER": stack.api}
    env.pop("DSCTL_TOKEN", None)
    if user:
        env["DSCTL_TOKEN"] = TOKENS[user]
    return subprocess.run(
        [DSCTL, *args], env=env, capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL
    )


def ok(stack: DevStack, user: str | None, *args: str) -> str:
    done = dsctl(stack, user, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_session_from_request_to_end(tmp_path: Path) -> None:
    with dev_stack(tmp_path) as stack:
        templates = json.loads(ok(stack, "sam", "template", "list", "-o", "json"))
        assert "network-debug" in {t["name"] for t in templates["templates"]}
        table = ok(stack, "sam", "template", "list").splitlines()
        assert table[0].split() == ["NAME", "DISPLAY_NAME", "MODE", "CLUSTERS", "TARGET_NAMESPACE", "REQUIRES_APPROVAL"]
        assert table[-1].startswith("Note: Only templates with available clusters are shown.")
        clusters = ok(stack, "sam", "template", "clusters", "network-debug").splitlines()
        assert clusters[0].split()[:3] == ["NAME", "DISPLAY_NAME", "ENVIRONMENT"]
        assert any(line.startswith("prod-eu ") for line in clusters[1:])

        # the requester asks; the approver approves; the session turns Active
        name = ok(stack, "sam", "session", "create", "--template", "network-debug", "--cluster", "prod-eu",
                  "--reason", "packet loss", "-o", "name").strip()  # fmt: skip
        assert name.startswith("debug-sam-prod-eu-")
        approved = yaml.safe_load(ok(stack, "lena", "session", "approve", name, "--reason", "go", "-o", "yaml"))
        assert approved["status"]["approval"]["approvedBy"] == "lena"
        waited = dsctl(stack, "sam", "session", "create", "--template", "minimal-debug", "--cluster", "dev-1",
                       "--wait", "-o", "name")  # fmt: skip
        assert waited.returncode == 0, waited.stderr
        assert waited.stderr.strip().endswith(": Active"), waited.stderr  # the progress lines
        session = json.loads(ok(stack, "sam", "session", "get", name, "-o", "json"))
        assert session["metadata"]["name"] == name

        wide = ok(stack, "sam", "session", "list", "--mine", "--state", "active,pendingapproval", "-o", "wide")
        header, *rows = wide.splitlines()
        assert header.split() == ["NAME", "TEMPLATE", "TARGET_NS", "CLUSTER", "REQUESTED_BY", "STATE", "STARTS",
                                  "EXPIRES", "PARTICIPANTS", "ALLOWED_PODS", "OPERATIONS"]  # fmt: skip
        mine = {line.split()[0]: line.split() for line in rows}
        assert waited.stdout.strip() in mine
        assert mine[waited.stdout.strip()][-1] == "exec,attach,portforward"  # the demo template's operations
        listed = yaml.safe_load(ok(stack, "sam", "session", "list", "-o", "yaml"))
        assert {name, waited.stdout.strip()} <= {s["name"] for s in listed["sessions"]}
        assert ok(stack, "sam", "session", "list", "-o", "name").split().count(name) == 1

        # a shell in the session's pod: the kubectl command, then run for real against the simulated cluster
        active = waited.stdout.strip()
        kubeconfig = str(stack.state / "clusters" / "dev-1.kubeconfig")
        printed = ok(stack, "sam", "session", "exec", active, "--kubeconfig", kubeconfig, "--print", "--", "echo", "hi")
        assert " exec -n breakglass-debug " in printed
        assert printed.rstrip().endswith("-- echo hi")
        assert ok(stack, "sam", "session", "exec", active, "--kubeconfig", kubeconfig, "--", "echo", "hi") == "hi\n"
        scoped = yaml.safe_load(ok(stack, "sam", "session", "kubeconfig", active, "--kubeconfig", kubeconfig))
        assert scoped["current-context"] == active
        assert scoped["contexts"][0]["context"]["namespace"] == "breakglass-debug"
        assert scoped["clusters"][0]["cluster"]["server"].startswith("http")
        not_yours = dsctl(
            stack, "sam", "session", "exec", active, "default/web-0", "--kubeconfig", kubeconfig, "--print"
        )
        assert (not_yours.returncode, not_yours.stderr.startswith("error: pod default/web-0 is not one of")) == (
            1,
            True,
        )

        renewed = ok(stack, "sam", "session", "renew", waited.stdout.strip(), "--extend-by", "30m")
        assert renewed.strip() == "session renewed successfully"
        ended = ok(stack, "sam", "session", "terminate", waited.stdout.strip(), "-y").splitlines()
        assert ended[1].split()[5] == "Terminated"

        # a DebugSession manifest (the spec's example, on this stack's cluster and template)
        manifest = yaml.safe_load((Path(__file__).parents[1] / "spec-examples" / "19-debugsession.yaml").read_text())
        manifest["spec"].update(cluster="dev-1", templateRef="minimal-debug", requestedDuration="30m")
        manifest["spec"].pop("nodeSelector")
        (tmp_path / "session.yaml").write_text(yaml.safe_dump(manifest))
        from_file = json.loads(
            ok(stack, "dave", "session", "create", "-f", str(tmp_path / "session.yaml"), "-o", "json")
        )
        assert from_file["spec"]["reason"] == manifest["spec"]["reason"]
        assert from_file["spec"]["invitedParticipants"] == ["peer@example.com"]

        # errors: one line, exit 1; usage errors exit 2; 401 says how to authenticate
        missing = dsctl(stack, "sam", "session", "get", "no-such-session")
        assert (missing.returncode, missing.stderr) == (1, "error: debug session not found\n")
        anonymous = dsctl(stack, None, "session", "list")
        assert anonymous.returncode == 1
        assert "set DSCTL_TOKEN or pass --token" in anonymous.stderr
        bad_state = dsctl(stack, "sam", "session", "list", "--state", "running")
        assert bad_state.returncode == 2
        assert 'unknown debug session state "running"' in bad_state.stderr
        refused = dsctl(stack, "sam", "session", "approve", name)
        assert refused.returncode == 1
        assert refused.stderr.startswith("error: session is not pending approval")
        pods = ok(stack, "sam", "pod-template", "list").splitlines()
        assert pods[0].split() == ["NAME", "DISPLAY_NAME", "DESCRIPTION", "CONTAINERS"]


def test_contexts_and_login(tmp_path: Path) -> None:
    """`dsctl login --token` checks the token against the API and stores it in a context; later commands use
    it without flags or environment; `config use-context` switches between servers."""
    with dev_stack(tmp_path) as stack:
        env = {**os.environ, "DSCTL_CONFIG": str(tmp_path / "dsctl.yaml")}
        env.pop("DSCTL_TOKEN", None)
        env.pop("DSCTL_SERVER", None)

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([DSCTL, *args], env=env, capture_output=True, text=True, timeout=60, check=False)

        refused = run("login", "--server", stack.api, "--token", "not-a-token")
        assert refused.returncode == 1
        assert "not authenticated" in refused.stderr
        done = run("login", "--server", stack.api, "--token", "dev-sam-token", "--context", "dev")
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "dsctl.yaml").stat().st_mode & 0o077 == 0  # it holds tokens
        listed = run("session", "list", "-o", "json")  # server and token from the context
        assert listed.returncode == 0, listed.stderr
        assert "sessions" in json.loads(listed.stdout)
        assert run("config", "set-context", "other", "--server", "http://127.0.0.1:9").returncode == 0
        contexts = run("config", "get-contexts").stdout.splitlines()
        assert contexts[0].split() == ["CURRENT", "NAME", "SERVER", "TOKEN"]
        assert contexts[1].split()[:2] == ["*", "dev"]
        assert run("config", "use-context", "other").returncode == 0
        unreachable = run("session", "list")
        assert unreachable.returncode == 1
        assert "cannot reach the Debug Sessions API at http://127.0.0.1:9" in unreachable.stderr
        assert run("session", "list", "--context", "dev").returncode == 0
        missing = run("config", "use-context", "nope")
        assert (missing.returncode, "no context" in missing.stderr) == (1, True)


def test_watch_streams_a_state_change_within_a_second(tmp_path: Path) -> None:
    """`dsctl session watch -o json` over server-sent events: the sessions first, then each change."""
    with dev_stack(tmp_path) as stack:
        name = ok(stack, "sam", "session", "create", "--template", "network-debug", "--cluster", "prod-eu",
                  "--reason", "watch me", "-o", "name").strip()  # fmt: skip
        env = {**os.environ, "DSCTL_SERVER": stack.api, "DSCTL_TOKEN": TOKENS["sam"]}
        watch = subprocess.Popen(
            [DSCTL, "session", "watch", "--mine", "-o", "json"], env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            assert watch.stdout is not None
            first = json.loads(watch.stdout.readline())
            assert (first["type"], first["session"]["name"]) == ("ADDED", name)
            time.sleep(1.5)  # the feed has listed once: what follows is a change
            approved_at = time.monotonic()
            ok(stack, "lena", "session", "approve", name, "--reason", "go")
            seen: dict[str, float] = {}
            while "Active" not in seen:
                event = json.loads(watch.stdout.readline())
                assert event["type"] == "MODIFIED", event
                seen.setdefault(event["session"]["state"], time.monotonic() - approved_at)
            print("seconds from approve to each state seen:", seen)
            # the approval is recorded at once; Active follows the deploy; each is seen within about a second
            assert min(seen.values()) < 2.0, seen
        finally:
            watch.terminate()
            watch.wait(10)
            watch.stdout.close() if watch.stdout else None


def complete(stack: DevStack, shell_script: str, *words: str) -> list[str]:
    """What bash completes for `dsctl WORDS...` (the last word being completed) with the generated script."""
    quoted = " ".join(f"'{w}'" for w in ("dsctl", *words))
    program = f"""{shell_script}
COMP_WORDS=({quoted}); COMP_CWORD={len(words)}; _dsctl; printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = {**os.environ, "DSCTL_SERVER": stack.api, "DSCTL_TOKEN": TOKENS["sam"],
           "PATH": f"{Path(DSCTL).parent}:{os.environ['PATH']}"}  # fmt: skip
    done = subprocess.run(["bash", "-c", program], env=env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.split()


def test_completion_scripts_complete_commands_options_and_names(tmp_path: Path) -> None:
    with dev_stack(tmp_path) as stack:
        name = ok(stack, "sam", "session", "create", "--template", "network-debug", "--cluster", "prod-eu",
                  "-o", "name").strip()  # fmt: skip
        bash = ok(stack, None, "completion", "bash")
        assert complete(stack, bash, "ses") == ["session"]
        assert "renew" in complete(stack, bash, "session", "")
        assert complete(stack, bash, "session", "renew", "x", "--ext") == ["--extend-by"]
        assert complete(stack, bash, "validate", "--str") == ["--strict"]
        assert name in complete(stack, bash, "session", "get", "")  # from the API
        assert "network-debug" in complete(stack, bash, "template", "clusters", "net")
        zsh = ok(stack, None, "completion", "zsh")
        assert zsh.startswith("autoload -U +X bashcompinit && bashcompinit")
        fish = ok(stack, None, "completion", "fish")
        assert 'complete -c dsctl -n "__fish_use_subcommand" -a "validate preview session' in fish
        assert "(dsctl session list -o name 2>/dev/null)" in fish


def test_device_login_against_a_local_issuer_then_refresh(tmp_path: Path) -> None:
    """`dsctl login` runs the device flow against the issuer the API announces (/api/config), stores the
    tokens, and renews the access token from the refresh token once it is about to expire."""
    claims = {"preferred_username": "sam", "email": "sam@example.com", "groups": ["sre-team"]}
    with Issuer(claims, approve_after=2, token_ttl=300) as issuer:
        oidc = {"DEBUG_SESSION_OIDC_ISSUER": issuer.url, "DEBUG_SESSION_OIDC_JWKS_URL": f"{issuer.url}/jwks",
                "DEBUG_SESSION_OIDC_CLIENT_ID": "dsctl"}  # fmt: skip
        with dev_stack(tmp_path, env=oidc) as stack:
            env = {**os.environ, "DSCTL_CONFIG": str(tmp_path / "dsctl.yaml")}
            env.pop("DSCTL_TOKEN", None)
            env.pop("DSCTL_SERVER", None)

            def run(*args: str) -> subprocess.CompletedProcess[str]:
                return subprocess.run([DSCTL, *args], env=env, capture_output=True, text=True, timeout=60, check=False)

            done = run("login", "--server", stack.api)
            assert done.returncode == 0, done.stderr
            assert f"To log in, open {issuer.url}/activate?code=ABCD-EFGH and enter the code ABCD-EFGH" in done.stderr
            stored = yaml.safe_load((tmp_path / "dsctl.yaml").read_text())["contexts"][0]
            assert (stored["issuer"], stored["client-id"]) == (issuer.url, "dsctl")
            created = run("session", "create", "--template", "network-debug", "--cluster", "prod-eu", "-o", "json")
            assert created.returncode == 0, created.stderr
            assert json.loads(created.stdout)["spec"]["requestedBy"] == "sam"  # the identity in the issued token
            assert issuer.refreshes == 0  # a token with minutes to live is used as it is
            # the stored token is now about to expire (10 s left, inside dsctl's 30 s margin)
            issuer.token_ttl = 10
            config = yaml.safe_load((tmp_path / "dsctl.yaml").read_text())
            config["contexts"][0]["token"] = issuer.tokens()["access_token"]
            (tmp_path / "dsctl.yaml").write_text(yaml.safe_dump(config))
            issuer.token_ttl = 300
            listed = run("session", "list", "-o", "name")
            assert listed.returncode == 0, listed.stderr
            assert issuer.refreshes == 1  # renewed before use
            renewed = yaml.safe_load((tmp_path / "dsctl.yaml").read_text())["contexts"][0]["token"]
            assert renewed not in (stored["token"], config["contexts"][0]["token"])


def test_reject_invitations_and_the_catalog_commands(tmp_path: Path) -> None:
    with dev_stack(tmp_path) as stack:
        rejected_name = ok(stack, "sam", "session", "create", "--template", "network-debug", "--cluster", "prod-eu",
                           "-o", "name").strip()  # fmt: skip
        rejected = json.loads(
            ok(stack, "lena", "session", "reject", rejected_name, "--reason", "not now", "-o", "json")
        )
        assert rejected["status"]["approval"]["rejectedBy"] == "lena"
        shared = ok(stack, "sam", "session", "create", "--template", "hybrid-debug", "--cluster", "dev-1", "--wait",
                    "-o", "name").strip()  # fmt: skip
        invited = ok(stack, "sam", "session", "invite", shared, "dave@example.com")
        assert invited.strip() == "users invited"
        assert ok(stack, "dave", "session", "join", shared).strip() == "successfully joined session"
        assert ok(stack, "dave", "session", "leave", shared).strip() == "successfully left session"
        template = yaml.safe_load(ok(stack, "sam", "template", "get", "network-debug", "-o", "yaml"))
        assert template["name"] == "network-debug"
        bindings = ok(stack, "sam", "template", "bindings", "network-debug", "prod-eu").splitlines()
        assert bindings[0] == "Binding options for cluster 'prod-eu':"
        assert bindings[1].split()[0] == "BINDING"
        assert bindings[2].split()[0] == "breakglass/sre-production-access"
        unknown = dsctl(stack, "sam", "template", "bindings", "network-debug", "nowhere")
        assert unknown.stderr.strip() == "error: cluster 'nowhere' not found for template 'network-debug'"
        pod_template = json.loads(ok(stack, "sam", "pod-template", "get", "minimal-debug-pod", "-o", "json"))
        assert pod_template["name"] == "minimal-debug-pod"
