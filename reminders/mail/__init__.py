"""Sending email over SMTP, one outcome per message: a library with no models.

It imports only Django and the standard library, never the rest of the project
(import-linter checks this in ``make lint``), so it could be lifted into a
distribution of its own. ``smtp`` sends messages one by one over a connection and
says what the server answered to each; ``lanes`` spreads a list over several
connections at once; ``messages`` has the message class and the Message-ID domain.
"""
