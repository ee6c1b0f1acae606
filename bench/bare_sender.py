"""Benchmark 6's limit row: the same rendered bytes over ``smtplib``, no database.

``python -m bench.bare_sender PORT CONNECTIONS MESSAGE_FILE RECIPIENTS_FILE`` opens
CONNECTIONS connections to the sink, prints ``ready``, waits for a line on stdin, then
sends the message once to each recipient (one RCPT each), dealt round-robin to the
connections, each in a thread; it prints its own CPU seconds (every thread) as JSON and
exits. The benchmark starts it before the clock, so Python's start-up is not counted:
this is the mail leg alone, the most any sender of these bytes gets here.
"""

from __future__ import annotations

import json
import smtplib
import sys
import threading
import time
from pathlib import Path


def send(port: int, connections: int, message: bytes, recipients: list[str]) -> None:
    clients = [smtplib.SMTP("127.0.0.1", port) for _ in range(connections)]
    for client in clients:
        client.ehlo()
    print("ready", flush=True)
    sys.stdin.readline()
    cpu = time.process_time()

    def lane(client: smtplib.SMTP, share: list[str]) -> None:
        for recipient in share:
            client.sendmail("noreply@localhost", [recipient], message)
        client.quit()

    threads = [
        threading.Thread(target=lane, args=(client, recipients[k::connections]))
        for k, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"cpu_s": time.process_time() - cpu}), flush=True)


if __name__ == "__main__":  # pragma: no cover - run by bench/sending.py
    port, connections, message_file, recipients_file = sys.argv[1:5]
    send(
        int(port),
        int(connections),
        Path(message_file).read_bytes(),
        Path(recipients_file).read_text().split(),
    )
