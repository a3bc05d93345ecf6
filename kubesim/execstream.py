"""`pods/exec` and `pods/attach` over the Kubernetes WebSocket channel protocol, with a toy shell.

kubectl (1.30+) and client-go speak `v5.channel.k8s.io`: each binary frame starts with a channel byte
(0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close-a-channel). No process runs: commands are
answered by a tiny simulated shell so sessions in the demo behave plausibly.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shlex
import struct
from collections.abc import Callable
from typing import Any, Protocol

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
STDIN, STDOUT, STDERR, STATUS, CLOSE = 0, 1, 2, 3, 255


class Reader(Protocol):
    """What the session reads frames from."""

    def read(self, size: int = ..., /) -> bytes:
        """Read up to `size` bytes."""
        ...


class Writer(Protocol):
    """What the session writes frames to."""

    def write(self, data: bytes, /) -> int:
        """Write all of `data`."""
        ...


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()


def choose_protocol(offered: str) -> str | None:
    """The channel protocol to speak, preferring v5."""
    names = [p.strip() for p in offered.split(",")]
    return next((p for p in PROTOCOLS if p in names), None)


def _frame(opcode: int, payload: bytes) -> bytes:
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


def _read_frame(rfile: Reader) -> tuple[int, bytes] | None:
    head = rfile.read(2)
    if len(head) < 2:
        return None
    opcode, n = head[0] & 0x0F, head[1] & 0x7F
    masked = head[1] & 0x80
    if n == 126:
        n = struct.unpack("!H", rfile.read(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", rfile.read(8))[0]
    mask = rfile.read(4) if masked else b""
    data = rfile.read(n)
    if masked:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return opcode, data


def simulate(argv: list[str], pod: dict[str, Any], container: str) -> tuple[str, int]:
    """Output and exit code of a command in the toy shell."""
    if not argv:
        return "", 0
    name = argv[0].rsplit("/", 1)[-1]
    if name in ("sh", "bash", "ash") and len(argv) >= 3 and argv[1] == "-c":
        out, code = "", 0
        for part in argv[2].split(";"):
            text, code = simulate(shlex.split(part), pod, container)
            out += text
        return out, code
    if name == "echo":
        return " ".join(argv[1:]) + "\n", 0
    if name in ("hostname",) or argv == ["cat", "/etc/hostname"]:
        return str(pod["metadata"]["name"]) + "\n", 0
    if name == "true":
        return "", 0
    if name == "false":
        return "", 1
    if name == "exit":
        return "", int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 0
    if name == "whoami":
        return "root\n", 0
    if name == "env":
        lines = [f"HOSTNAME={pod['metadata']['name']}"]
        for c in pod["spec"].get("containers") or []:
            if c.get("name") == container:
                lines += [f"{e['name']}={e.get('value', '')}" for e in c.get("env") or []]
        return "\n".join(lines) + "\n", 0
    return f"kubesim: simulated `{shlex.join(argv)}` in container {container}\n", 0


def _status(code: int) -> bytes:
    if code == 0:
        return json.dumps({"metadata": {}, "status": "Success"}).encode()
    return json.dumps(
        {
            "metadata": {},
            "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command [...], exit code {code}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
        }
    ).encode()


def run_session(
    rfile: Reader,
    wfile: Writer,
    pod: dict[str, Any],
    container: str,
    command: list[str],
    interactive: bool,
    stopping: Callable[[], bool],
) -> None:
    """Serve one exec/attach stream until the command ends or the client closes stdin."""

    def send(channel: int, data: bytes) -> None:
        wfile.write(_frame(0x2, bytes([channel]) + data))

    code = 0
    if command and not (interactive and command[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash") and len(command) == 1):
        out, code = simulate(command, pod, container)
        if out:
            send(STDOUT, out.encode())
    elif interactive:
        buffer = b""
        while not stopping():
            frame = _read_frame(rfile)
            if frame is None:
                break
            opcode, data = frame
            if opcode == 0x8:
                break
            if opcode == 0x9:
                wfile.write(_frame(0xA, data))
                continue
            if not data:
                continue
            if data[0] == CLOSE:
                break
            if data[0] != STDIN:
                continue
            buffer += data[1:]
            while b"\n" in buffer or b"\r" in buffer:
                line, _, buffer = buffer.replace(b"\r", b"\n").partition(b"\n")
                argv = shlex.split(line.decode(errors="replace"))
                if argv and argv[0] == "exit":
                    _, code = simulate(argv, pod, container)
                    send(STATUS, _status(code))
                    wfile.write(_frame(0x8, struct.pack("!H", 1000)))
                    return
                out, code = simulate(argv, pod, container)
                send(STDOUT, out.encode())
    send(STATUS, _status(code))
    wfile.write(_frame(0x8, struct.pack("!H", 1000)))
