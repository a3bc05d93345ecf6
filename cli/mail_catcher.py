"""`dsctl dev`'s mail catcher: a real SMTP server (aiosmtpd) on localhost that keeps every message it is
given as an `.eml` file, so the stack's e-mail can be read without a mail account."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = len(list(directory.glob("*.eml")))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        subject = str(make_header(decode_header(message_from_bytes(raw).get("Subject", ""))))
        self.count += 1
        slug = re.sub(r"[^A-Za-z0-9]+", "-", subject).strip("-")[:60] or "no-subject"
        (self.directory / f"{self.count:04d}-{slug}.eml").write_bytes(raw)
        return "250 Message accepted for delivery"


class MailCatcher:
    """Catches mail on 127.0.0.1:`port` into `directory` (one `.eml` file per message, numbered)."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        directory.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_Keep(directory), hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
