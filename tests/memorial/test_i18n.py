"""Languages of the memorial: the committed translations (complete, compiled, consistent),
the URL prefixes and the redirect from "/", the settings, and the local fonts."""

from __future__ import annotations

import ast
import dataclasses
import gettext
import io
import re
import tokenize
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation.template import templatize

import dadkhah
from dadkhah.memorial import fonts
from tests.factories import PASSWORD

PACKAGE = Path(dadkhah.__file__).parent
PO = PACKAGE / "locale" / "fa" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
GETTEXT_CALLS = {"gettext", "ngettext", "pgettext", "npgettext"}
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\{ *\w+ *\}\}")


def _po() -> polib.POFile:
    return polib.pofile(str(PO))


def test_every_string_is_translated_and_keeps_its_placeholders() -> None:
    po = _po()
    assert po.metadata["Language"] == "fa" and "nplurals=2" in po.metadata["Plural-Forms"]
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if not text.strip():
                problems.append(f"untranslated: {entry.msgid!r}")
            elif sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(entry.msgid)):
                problems.append(f"placeholders differ: {entry.msgid!r}")
    assert not problems, "\n".join(problems)


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    """The committed .mo holds exactly the .po's translations (run compilemessages after
    editing the .po; see docs/memorial.md)."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog: dict[Any, str] = {k: v for k, v in compiled._catalog.items() if k != ""}  # type: ignore[attr-defined]
    expected: dict[Any, str] = {}
    for entry in _po():
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural:
            for n, text in entry.msgstr_plural.items():
                expected[(entry.msgid, int(n))] = text
        elif entry.msgstr:
            expected[entry.msgid] = entry.msgstr
    assert catalog == expected


def _template_msgids(path: Path) -> set[str]:
    """The msgids a template asks for, read the way makemessages reads them: the template
    turned into gettext calls (``templatize``), then the calls' string arguments."""
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(code).readline)
        if t.type in (tokenize.NAME, tokenize.OP, tokenize.STRING)
    ]
    found: set[str] = set()
    for i, token in enumerate(tokens[:-2]):
        if token.type != tokenize.NAME or token.string not in GETTEXT_CALLS:
            continue
        if tokens[i + 1].string != "(":
            continue
        args: list[str] = []
        for following in tokens[i + 2 :]:
            if following.type == tokenize.STRING:
                args.append(str(ast.literal_eval(following.string)))
            elif following.string != ",":
                break
        context = token.string.startswith(("pgettext", "npgettext"))
        if len(args) > int(context):
            found.add(args[int(context)])
    return found


def _python_msgids(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"_", "gettext", "gettext_lazy", "ngettext"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value))
    return found


def test_every_memorial_string_is_in_the_po_file() -> None:
    wanted: dict[str, str] = {}
    for template in sorted((PACKAGE / "templates" / "memorial").glob("*.html")):
        for msgid in _template_msgids(template):
            wanted.setdefault(msgid, template.name)
    for module in sorted((PACKAGE / "memorial").glob("*.py")):
        for msgid in _python_msgids(module):
            wanted.setdefault(msgid, module.name)
    assert len(wanted) > 50  # the reader above really reads the templates
    known = {entry.msgid for entry in _po() if not entry.obsolete}
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in wanted.items() if msgid not in known)
    assert not missing, "run makemessages -l fa and translate:\n" + "\n".join(missing)


def test_language_settings() -> None:
    assert settings.LANGUAGE_CODE == "en"
    assert [code for code, _ in settings.LANGUAGES] == ["en", "fa"]
    assert PACKAGE / "locale" in [Path(p) for p in settings.LOCALE_PATHS]
    middleware = settings.MIDDLEWARE
    locale = middleware.index("django.middleware.locale.LocaleMiddleware")
    assert middleware.index("django.contrib.sessions.middleware.SessionMiddleware") < locale
    assert locale < middleware.index("django.middleware.common.CommonMiddleware")
    assert settings.USE_I18N


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "target"),
    [
        ("fa-IR,fa;q=0.9,en;q=0.5", "/fa/"),
        ("en-GB,en;q=0.9", "/en/"),
        ("de-DE", "/en/"),
        ("", "/en/"),
    ],
)
def test_root_sends_visitors_to_their_language(accept: str, target: str) -> None:
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 302 and response["Location"] == target


@pytest.mark.django_db
def test_staff_keep_their_home_and_unprefixed_urls(users: dict[str, Any]) -> None:
    client = Client()
    assert client.login(username=users["reviewer"].username, password=PASSWORD)
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="fa")
    assert home.status_code == 200 and b'href="/records/"' in home.content
    assert reverse("records:list") == "/records/" and reverse("vault:list") == "/vault/"
    assert client.get("/records/").status_code == 200


@pytest.mark.django_db
def test_persian_pages_are_translated() -> None:
    english = Client().get("/en/").content.decode()
    persian = Client().get("/fa/").content.decode()
    assert "Skip to content" in english and "Skip to content" not in persian
    assert "رفتن به محتوا" in persian and 'lang="fa" dir="rtl"' in persian
    with translation.override("fa"):
        assert reverse("memorial:victims") == "/fa/victims/"
    with translation.override("en"):
        assert reverse("memorial:victims") == "/en/victims/"


def test_fonts_are_served_from_the_system_package_not_the_repository() -> None:
    found = finders.find("memorial/fonts/NotoNaskhArabic-Regular.ttf")
    assert found and Path(str(found)).parent == fonts.font_dir()
    css = (PACKAGE / "memorial" / "static" / "memorial" / "memorial.css").read_text()
    for name in fonts.FONT_FILES:
        assert f'url("fonts/{name}")' in css
    assert not list(PACKAGE.rglob("*.ttf")) and not list(PACKAGE.rglob("*.woff2"))
    assert finders.find("memorial/fonts/not-a-font.ttf") in ("", None, [])


def test_a_missing_font_is_reported(settings: Any, tmp_path: Path) -> None:
    settings.CONFIG = dataclasses.replace(settings.CONFIG, font_dir=str(tmp_path))
    problems = fonts.SystemFontFinder().check()
    assert problems and "NotoNaskhArabic-Regular.ttf" in problems[0].msg
    assert "fonts-noto-core" in problems[0].hint
