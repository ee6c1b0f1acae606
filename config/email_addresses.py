"""Who an email address belongs to, and the account's email page (``/accounts/email/``).

Anyone signed in may add an address to their account; until it is verified it proves
nothing. So an unverified secondary address never blocks its owner's signup (their
signup takes it over: ``release_unverified_claims``), and making an address primary when
another account holds it is an error on the page, not the database's ``IntegrityError``
(a 500). How many addresses one account may hold: ``ACCOUNT_MAX_EMAIL_ADDRESSES``.
"""

from __future__ import annotations

from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.models import EmailAddress
from allauth.account.views import EmailView as AllauthEmailView
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.validators import deliverable_email

TAKEN = _("This address belongs to another account: it cannot be your primary address.")


def email_claimed(email: str, *, exclude_user_id: int | None = None) -> bool:
    """Whether an account other than ``exclude_user_id`` holds ``email`` for real: as its
    own address (the user's email field, its primary) or a verified one."""
    users = get_user_model().objects.filter(email__iexact=email)
    addresses = EmailAddress.objects.filter(email__iexact=email).filter(
        Q(verified=True) | Q(primary=True)
    )
    if exclude_user_id is not None:
        users = users.exclude(pk=exclude_user_id)
        addresses = addresses.exclude(user_id=exclude_user_id)
    return users.exists() or addresses.exists()


def release_unverified_claims(user) -> int:
    """Drop other accounts' unverified secondary rows of ``user``'s address, now that
    ``user`` registered with it: they can never be verified by those accounts."""
    deleted, _ = (
        EmailAddress.objects.filter(email__iexact=user.email, verified=False, primary=False)
        .exclude(user=user)
        .delete()
    )
    return deleted


class AddEmailForm(AllauthAddEmailForm):
    """allauth's "Add email" form, refusing what the mail pipeline cannot deliver
    (``config.validators``) before allauth lower-cases it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].validators.append(deliverable_email)


class EmailView(AllauthEmailView):
    """allauth's page, with "Make primary" refusing an address another account holds."""

    def _action_primary(self, request, *args, **kwargs):
        email_address = self._get_email_address(request)
        if email_address is not None and email_claimed(
            email_address.email, exclude_user_id=request.user.pk
        ):
            return self._refuse(request)
        try:
            with transaction.atomic():
                return super()._action_primary(request, *args, **kwargs)
        except IntegrityError:  # taken between the check and the save
            return self._refuse(request)

    def form_invalid(self, form):
        # allauth's page hides the "Add" form once the account is at its maximum, and its
        # errors with it: say them as messages, shown whatever the page hides.
        for errors in form.errors.values():
            for error in errors:
                messages.error(self.request, error)
        return super().form_invalid(form)

    def _refuse(self, request):
        messages.error(request, TAKEN)
        context = self.get_context_data(form=self.get_form_class()(user=request.user))
        return self.render_to_response(context, status=400)
