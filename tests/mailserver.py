"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for mail tests."""

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Received:
    """One mail as the server stored it: who handed it over, on which connection, when."""

    mail: EmailMessage
    mail_from: str
    peer: tuple[str, int]
    at: float  # time.monotonic() when it was stored


class _Inbox:
    """The aiosmtpd handler: parse each mail and keep it."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.delay = 0.0
        # Like an MTA that has queued the mail already: store it, then wait this long
        # before answering 250. A sender that dies meanwhile cannot know it was delivered.
        self.hold = 0.0
        # The Message-ID stored but not yet answered, by envelope sender.
        self.in_hand: dict[str, str] = {}
        self.refuse: str | None = None  # e.g. "550 no such user": refuse every recipient
        # Like servers that cap mails per connection: refuse MAIL FROM with 421 after these.
        self.per_connection: int | None = None
        self._counts: dict[tuple[str, int], int] = {}
        self.lock = threading.Lock()

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [r.mail for r in self.received]

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.lock:
            done = self._counts.get(tuple(session.peer), 0)
        if self.per_connection is not None and done >= self.per_connection:
            return "421 4.7.0 too many mails on this connection"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        mail: EmailMessage = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[assignment]
        sender, peer = str(envelope.mail_from), tuple(session.peer)
        with self.lock:
            self.received.append(Received(mail, sender, peer, time.monotonic()))
            self._counts[peer] = self._counts.get(peer, 0) + 1
            self.in_hand[sender] = str(mail["Message-ID"])
        try:
            if self.hold:
                await asyncio.sleep(self.hold)
        finally:
            with self.lock:
                self.in_hand.pop(sender, None)
        return "250 Message accepted for delivery"


class MailServer:
    """Start and stop a real SMTP server on a fixed port; read the mails it got."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox = _Inbox()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    @property
    def received(self) -> list[Received]:
        with self.inbox.lock:
            return list(self.inbox.received)

    def start(self) -> "MailServer":
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """The mails received, once there are at least `count` (or the timeout ran out)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def body_of(mail: EmailMessage) -> str:
    """The plain-text body of a received mail."""
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]
