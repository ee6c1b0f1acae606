"""A real SMTP server for tests and benchmarks: aiosmtpd in a thread of this process,
recording every message it receives and refusing the recipients it is told to refuse.

The ``smtp_server`` fixture of ``tests/conftest.py`` starts one and points Django at it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class SMTPRecorder:
    """An aiosmtpd handler that records every message and can refuse recipients.

    ``refuse[address] = "550 5.1.1 No such user"`` refuses that recipient with that
    reply (a 4xx reply is a temporary refusal, a 5xx a permanent one).

    ``data_reply_delay`` (seconds) makes the server store each message, then wait that
    long before answering the final dot, as a busy relay or a content filter does;
    ``data_reply_delays`` does it for the messages to the addresses it names only.
    ``drop_after_data`` stores the message and closes the connection without a reply.
    """

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    data_reply_delay: float = 0.0
    data_reply_delays: dict[str, float] = field(default_factory=dict)
    drop_after_data: bool = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        delay = max(
            [self.data_reply_delay]
            + [self.data_reply_delays.get(address, 0.0) for address in envelope.rcpt_tos]
        )
        if delay:
            await asyncio.sleep(delay)
        if self.drop_after_data:
            server.transport.close()
            return None
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SMTPServer:
    recorder: SMTPRecorder
    host: str
    port: int
    controller: Controller
    running: bool = True

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def stop(self) -> None:
        """Take the server away: connections are refused until ``start()``."""
        if self.running:
            self.controller.stop()
            self.running = False

    def start(self) -> None:
        if not self.running:
            self.controller = Controller(self.recorder, hostname=self.host, port=self.port)
            self.controller.start()
            self.running = True
