"""The providers' bounce and complaint webhooks, through django-anymail (reminders/).

docs/email.md, "Provider webhooks": without ANYMAIL_WEBHOOK_SECRET no webhook is mounted.
"""

from ..env import env

# user:password the providers' webhook URLs carry (HTTP basic auth); two, comma-separated,
# while one replaces the other. Empty: /mail/events/ is not mounted.
ANYMAIL_WEBHOOK_SECRET = env.list("ANYMAIL_WEBHOOK_SECRET", default=[])
# Mailgun's "HTTP webhook signing key"; Mailgun's webhook is mounted only with it.
ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY = env.str("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY", default="")
ANYMAIL = {
    # Never fetch the URL an SNS SubscriptionConfirmation names: it is logged for the
    # operator to confirm (reminders/webhook_views.py).
    "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS": False,
}
