"""The blog's REST API: posts, their comments and tags, mounted under ``/api/``.

A second door onto the blog: reads use the same QuerySets as the pages, writes call
``blog.services`` and who may write is asked of ``blog.permissions``.
"""
