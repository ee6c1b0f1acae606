"""The fast serialisation policy writes exactly the bytes of the standard one."""

from __future__ import annotations

import email.policy
import random
import string

import pytest

from reminders.mail.messages import FAST_POLICY, BatchEmail

STANDARD = email.policy.compat32.clone(linesep="\r\n")
FAST = FAST_POLICY.clone(linesep="\r\n")
ALPHABET = string.ascii_letters + string.digits + " \t<>@.,;:\"'()=?_-"


def test_every_header_value_folds_as_the_standard_policy_folds_it() -> None:
    rng = random.Random(2026)
    values = ["", " ", "  leading", "trailing  ", "a\tb", "=?utf-8?q?x?=", "x" * 76, "y" * 200]
    values += [
        "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 100))) for _ in range(20_000)
    ]
    values += ["汉字 in a subject", "Ünïcode", "line\r\nbreak", "line\nbreak"]
    for name in ("Subject", "To", "Message-ID", "X-Long-Header-Name"):
        for value in values:
            assert FAST.fold_binary(name, value) == STANDARD.fold_binary(name, value), value


@pytest.mark.parametrize(
    "subject",
    ["Welcome!", "欢迎！", "A subject long enough to be folded by the header encoder " * 3],
)
def test_a_whole_email_serialises_to_the_same_bytes(subject) -> None:
    email_ = BatchEmail(
        subject=subject,
        body="Hello, ü and 汉字.\n" * 20,
        from_email="Lightblog <noreply@example.com>",
        to=[f"reader{i}@example.com" for i in range(30)],
        headers={"Message-ID": "<abc.1.reminder@example.com>", "Auto-Submitted": "auto-generated"},
    )
    email_.attach_alternative("<p>Hello</p>", "text/html")
    message = email_.message()

    fast = message.as_bytes(linesep="\r\n")
    message.policy = email.policy.compat32
    assert fast == message.as_bytes(linesep="\r\n")
