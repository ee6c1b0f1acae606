"""The weekly digest: this week's posts to every user who opted in.

The only part of the reminders app that reads the blog, and it does so only through
``blog.selectors`` (import-linter checks it). Its state is ``DigestRun`` in
``reminders.models``; it sends through ``reminders.mail`` like the reminders do.
"""
