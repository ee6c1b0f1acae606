"""The suppression list's service (reminders/suppression.py), on the real database: the
embedded SQLite and MariaDB, whose default collation is case- and accent-insensitive.

Addresses compare case-insensitively whole, local part included, and exactly otherwise
(docs/email.md, "Suppression list"): the comparison is on a hash, so both databases agree.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from reminders.models import Suppression, SuppressionReason, SuppressionScope
from reminders.suppression import normalise_address, suppress, suppressed, unsuppress
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BOUNCE = {"reason": SuppressionReason.HARD_BOUNCE, "source": "SMTP: 550 5.1.1 user unknown"}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  Bob@Example.COM \n", "Bob@example.com"),
        ("Bob Smith <Bob@Example.COM>", "Bob@example.com"),
        ("o'neil+news@Sub.Example.org", "o'neil+news@sub.example.org"),
        ("no-at-sign", "no-at-sign"),
    ],
)
def test_normalise_address_keeps_the_local_part_and_lowers_the_domain(given, stored) -> None:
    assert normalise_address(given) == stored


def test_suppress_stores_the_normalised_address_with_its_reason_and_source() -> None:
    staff = UserFactory(username="alice")

    entry = suppress(
        " Bob@Example.COM", reason=SuppressionReason.MANUAL, source="staff: alice", created_by=staff
    )

    entry.refresh_from_db()
    assert (entry.address, entry.scope, entry.reason, entry.source, entry.created_by) == (
        "Bob@example.com",
        SuppressionScope.ALL,
        SuppressionReason.MANUAL,
        "staff: alice",
        staff,
    )


def test_suppress_twice_keeps_the_first_entry() -> None:
    first = suppress("bob@example.com", **BOUNCE)

    again = suppress("BOB@EXAMPLE.COM", reason=SuppressionReason.COMPLAINT, source="later")

    assert again.pk == first.pk
    assert list(Suppression.objects.values_list("address", "reason")) == [
        ("bob@example.com", SuppressionReason.HARD_BOUNCE)
    ]


def test_one_address_may_be_on_the_list_once_per_scope() -> None:
    suppress("bob@example.com", **BOUNCE)
    suppress(
        "bob@example.com",
        scope=SuppressionScope.DIGEST,
        reason=SuppressionReason.UNSUBSCRIBED,
        source="one-click",
    )

    assert sorted(Suppression.objects.values_list("scope", flat=True)) == ["all", "digest"]


def test_a_long_source_is_cut_to_the_column() -> None:
    entry = suppress("bob@example.com", reason=SuppressionReason.HARD_BOUNCE, source="5" * 5000)

    entry.refresh_from_db()
    assert len(entry.source) == 1000


def test_suppressed_reads_any_number_of_addresses_in_one_query(
    django_assert_num_queries,
) -> None:
    suppress("gone@example.com", **BOUNCE)
    suppress(
        "digest-off@example.com",
        scope=SuppressionScope.DIGEST,
        reason=SuppressionReason.UNSUBSCRIBED,
        source="one-click",
    )
    addresses = [f"reader{n}@example.com" for n in range(300)] + [
        "Gone@EXAMPLE.com",
        "digest-off@example.com",
    ]

    with django_assert_num_queries(1):
        for_digest = suppressed(addresses, digest=True)
    with django_assert_num_queries(1):
        for_mail = suppressed(addresses, digest=False)

    # Keyed by the address as given; the digest entry applies to the digest only.
    assert {a: e.reason for a, e in for_digest.items()} == {
        "Gone@EXAMPLE.com": SuppressionReason.HARD_BOUNCE,
        "digest-off@example.com": SuppressionReason.UNSUBSCRIBED,
    }
    assert list(for_mail) == ["Gone@EXAMPLE.com"]


def test_suppressed_asks_nothing_for_no_address(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        assert suppressed([], digest=True) == {}


def test_an_all_mail_entry_wins_over_a_digest_entry() -> None:
    suppress(
        "bob@example.com",
        scope=SuppressionScope.DIGEST,
        reason=SuppressionReason.UNSUBSCRIBED,
        source="one-click",
    )
    suppress("bob@example.com", reason=SuppressionReason.COMPLAINT, source="Amazon SES")

    assert suppressed(["bob@example.com"], digest=True)["bob@example.com"].scope == "all"


def test_the_same_address_given_twice_is_answered_for_each_spelling() -> None:
    suppress("bob@example.com", **BOUNCE)

    assert set(suppressed(["bob@example.com", "Bob@Example.com "], digest=False)) == {
        "bob@example.com",
        "Bob@Example.com ",
    }


def test_the_local_part_compares_without_regard_to_case() -> None:
    """A complaint from Bob@ stops mail to bob@: mailbox providers treat local parts
    case-insensitively, and the list errs towards not mailing (docs/email.md)."""
    suppress("Bob.Smith@example.com", reason=SuppressionReason.COMPLAINT, source="Postmark")

    assert list(suppressed(["bob.smith@example.com"], digest=False)) == ["bob.smith@example.com"]


def test_accents_are_not_folded_on_any_database() -> None:
    """MariaDB's default collation equates é and e; different mailboxes all the same."""
    suppress("josé@example.com", **BOUNCE)

    assert suppressed(["jose@example.com", "josé@example.com"], digest=False).keys() == {
        "josé@example.com"
    }
    suppress("jose@example.com", **BOUNCE)
    assert Suppression.objects.count() == 2


def test_an_international_domain_matches_its_ascii_form() -> None:
    suppress("bob@BÜCHER.example", **BOUNCE)

    assert list(suppressed(["bob@xn--bcher-kva.example"], digest=False)) == [
        "bob@xn--bcher-kva.example"
    ]


def test_unsuppress_takes_the_address_off_one_scope_or_all() -> None:
    suppress("bob@example.com", **BOUNCE)
    suppress(
        "bob@example.com",
        scope=SuppressionScope.DIGEST,
        reason=SuppressionReason.UNSUBSCRIBED,
        source="one-click",
    )
    suppress("other@example.com", **BOUNCE)

    assert unsuppress("BOB@example.com", scope=SuppressionScope.DIGEST) == 1
    assert suppressed(["bob@example.com"], digest=True)["bob@example.com"].scope == "all"
    assert unsuppress("bob@example.com") == 1
    assert unsuppress("bob@example.com") == 0
    assert list(Suppression.objects.values_list("address", flat=True)) == ["other@example.com"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_suppressions_of_one_address_make_one_entry() -> None:
    """Eight threads, eight connections, one address at the same moment: the unique
    constraint decides, every caller gets the one entry back, none raises."""
    start = threading.Barrier(8)
    results: list[int] = []
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            start.wait(timeout=10)
            results.append(suppress(f"Race@Example.com{' ' * n}", **BOUNCE).pk)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert Suppression.objects.count() == 1
    assert set(results) == {Suppression.objects.get().pk}
