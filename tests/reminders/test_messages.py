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


def test_the_backends_send_is_djangos_but_for_the_remembered_sender() -> None:
    """``reminders.mail.backend.EmailBackend._send`` copies Django's: a Django upgrade
    that changes Django's must be looked at (this fails), not silently diverged from."""
    import ast
    import inspect
    import textwrap

    from django.core.mail.backends import smtp

    from reminders.mail import backend

    def body(function) -> str:
        [tree] = ast.parse(textwrap.dedent(inspect.getsource(function))).body
        statements = [s for s in tree.body if not isinstance(s, ast.Expr)]  # the docstring
        return "\n".join(ast.unparse(s) for s in statements)

    ours = body(backend.EmailBackend._send)
    django = body(smtp.EmailBackend._send).replace(
        "sanitize_address(email_message.from_email", "_envelope_sender(email_message.from_email"
    )
    assert ours == django


def test_an_unusable_sender_still_fails_each_email(smtp_server, settings) -> None:
    from django.core.mail import get_connection

    from reminders.mail.backend import BACKEND

    connection = get_connection(BACKEND, host=smtp_server.host, port=smtp_server.port)
    good = BatchEmail("s", "b", "Site <site@example.com>", ["a@example.com"], connection=connection)
    bad = BatchEmail("s", "b", "Site <site@@example.com>", ["a@example.com"], connection=connection)

    assert good.send() == 1
    for _ in range(2):  # an error is not remembered: it happens again
        with pytest.raises(ValueError):
            bad.send()
    assert len(smtp_server.recorder.messages) == 1
