"""The translation catalogues: every message has its Chinese, the compiled catalogues
are the sources', and no string of a template or module is missing from them.

``blog/locale``, ``reminders/locale`` and ``config/locale`` hold them; docs/i18n.md says
how to add a string.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from tests.conftest import BASE_DIR, require_binary

APPS = ("blog", "reminders", "config")
# The English catalogues translate nothing (an English message is its msgid) but
# allauth's words, said the site's way (blog/wording.py).
ENGLISH_WORDING = {
    "Sign In": "Log in",
    "Sign Out": "Log out",
    "Sign Up": "Sign up",
    "Signup": "Sign up",
    "Remember Me": "Remember me",
}


def catalogue(app: str, language: str = "zh_Hans") -> polib.POFile:
    return polib.pofile(str(BASE_DIR / app / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("app", APPS)
def test_every_message_has_its_chinese_translation(app: str) -> None:
    po = catalogue(app)

    assert len(po) > 0
    untranslated = [entry.msgid for entry in po if not entry.translated()]
    assert untranslated == [], f"{app}: no Chinese for {untranslated}"
    assert [entry.msgid for entry in po.obsolete_entries()] == []
    assert po.metadata["Plural-Forms"].startswith("nplurals=1;")


@pytest.mark.parametrize("app", APPS)
def test_placeholders_survive_translation(app: str) -> None:
    """A translation that loses or renames ``%(name)s`` would raise at render time."""
    import re

    placeholder = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifxX]")
    for entry in catalogue(app):
        source = sorted(placeholder.findall(entry.msgid_plural or entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(placeholder.findall(text)) == source, (app, entry.msgid, text)


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
@pytest.mark.parametrize("app", APPS)
def test_the_compiled_catalogue_is_its_source(app: str, language: str) -> None:
    """The .mo files are committed (nothing compiles at run time): they must say what
    the .po files say. `make messages` compiles them again."""
    folder = BASE_DIR / app / "locale" / language / "LC_MESSAGES"
    source = {
        (e.msgctxt, e.msgid): (e.msgstr_plural.get(0) if e.msgid_plural else e.msgstr)
        for e in polib.pofile(str(folder / "django.po"))
        if e.translated()
    }
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr_plural.get(0) if e.msgid_plural else e.msgstr)
        for e in polib.mofile(str(folder / "django.mo"))
        if e.msgid
    }
    assert compiled == source


def test_english_says_allauths_words_the_sites_way() -> None:
    po = catalogue("blog", "en")
    english = {entry.msgid: entry.msgstr for entry in po if entry.msgstr}

    assert {k: english.get(k) for k in ENGLISH_WORDING} == ENGLISH_WORDING


def test_makemessages_finds_no_string_missing_from_the_catalogues(tmp_path: Path) -> None:
    """Extracting the messages again (Django's makemessages, over a copy of the apps)
    finds nothing the committed catalogues lack: a new template string without its
    Chinese fails here."""
    require_binary("xgettext", "gettext")
    for app in APPS:
        shutil.copytree(
            BASE_DIR / app,
            tmp_path / app,
            ignore=shutil.ignore_patterns("__pycache__", "migrations", "*.mo"),
        )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PYTHONPATH": str(BASE_DIR),
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-location"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for app in APPS:
        extracted = polib.pofile(str(tmp_path / app / "locale/zh_Hans/LC_MESSAGES/django.po"))
        committed = {(e.msgctxt, e.msgid) for e in catalogue(app)}
        missing = [e.msgid for e in extracted if (e.msgctxt, e.msgid) not in committed]
        assert missing == [], f"{app}: strings with no translation yet: {missing}"
