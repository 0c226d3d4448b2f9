"""English and Simplified Chinese: choosing, remembering, catalogues, dates in the viewer's zone."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import refresh

from statuspage.i18n import ensure_compiled_catalogues

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"


def _html_lang(resp) -> str:
    text = resp.get_data(as_text=True)
    return text.split('<html lang="', 1)[1].split('"', 1)[0]


def test_lang_query_switches_to_chinese_and_is_remembered(client):
    first = client.get("/?lang=zh_Hans")
    assert _html_lang(first) == "zh-Hans"
    assert "跳到主要内容" in first.get_data(as_text=True)
    assert "lang=zh_Hans" in first.headers["Set-Cookie"]
    assert "private" in first.headers["Cache-Control"]

    later = client.get("/")
    assert _html_lang(later) == "zh-Hans"
    assert "跳到主要内容" in later.get_data(as_text=True)

    back = client.get("/?lang=en")
    assert _html_lang(back) == "en" and "Skip to content" in back.get_data(as_text=True)
    assert _html_lang(client.get("/")) == "en"


def test_accept_language_picks_chinese_when_nothing_was_chosen(client):
    resp = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert _html_lang(resp) == "zh-Hans"
    assert "lang=" not in resp.headers.get("Set-Cookie", "")


def test_a_chosen_language_beats_accept_language(client):
    client.get("/?lang=en")
    assert _html_lang(client.get("/", headers={"Accept-Language": "zh-CN"})) == "en"


def test_an_unknown_language_is_ignored_without_error(client):
    resp = client.get("/?lang=klingon", headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    assert _html_lang(resp) == "en"
    assert "lang=" not in resp.headers.get("Set-Cookie", "")


def test_language_switcher_links_keep_the_page_and_its_arguments(app):
    with app.test_request_context("/history?page=2", headers={"Accept-Language": "en"}):
        refresh()
        html = render_template_string('{% include "partials/lang_switch.html" %}')
    assert 'href="/history?page=2&amp;lang=zh_Hans"' in html
    assert 'lang="zh-Hans"' in html and "简体中文" in html
    assert 'aria-current="true"' in html.split("English")[0]


def test_times_are_shown_in_the_viewers_zone_and_language(app):
    moment = datetime(2026, 11, 22, 23, 5, tzinfo=timezone.utc)
    template = "{{ moment|dt }}"
    with app.test_request_context("/", headers={"Cookie": "tz=Asia/Shanghai; lang=zh_Hans"}):
        refresh()  # as before_request does; the fixture's app context outlives requests
        assert render_template_string(template, moment=moment) == "2026年11月23日 07:05 +0800"
    with app.test_request_context("/", headers={"Cookie": "tz=America/New_York; lang=en"}):
        refresh()
        assert render_template_string(template, moment=moment) == "Nov 22, 2026 6:05 PM EST"


def test_a_bogus_time_zone_cookie_falls_back_to_the_site_zone(app):
    app.config["SITE_TIME_ZONE"] = "Europe/Berlin"
    moment = datetime(2026, 11, 22, 23, 5, tzinfo=timezone.utc)
    with app.test_request_context("/", headers={"Cookie": "tz=Not/AZone; lang=en"}):
        refresh()
        assert render_template_string("{{ moment|dt }}", moment=moment) == "Nov 23, 2026 12:05 AM +0100"


def test_catalogues_are_compiled_when_the_mo_files_are_missing(tmp_path):
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    written = ensure_compiled_catalogues(copy)
    mo = copy / "zh_Hans" / "LC_MESSAGES" / "messages.mo"
    assert mo in written and mo.stat().st_size > 0
    assert mo.stat().st_mode & 0o044 == 0o044  # readable by a worker running as another user
    assert ensure_compiled_catalogues(copy) == []  # up to date: nothing rewritten

    from babel.support import Translations

    assert Translations.load(str(copy), ["zh_Hans"]).gettext("Skip to content") == "跳到主要内容"


def _catalogue(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def test_every_chinese_message_is_translated_and_none_is_fuzzy():
    catalog = _catalogue("zh_Hans")
    empty = [m.id for m in catalog if m.id and not all(m.string if isinstance(m.string, tuple) else (m.string,))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not empty, f"untranslated in zh_Hans: {empty}"
    assert not fuzzy, f"fuzzy (unchecked) in zh_Hans: {fuzzy}"


def test_every_string_in_the_code_and_templates_is_in_the_catalogues():
    """A string added after the last `make messages` shows up here, not as English on a Chinese page."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # as `make messages` extracts
    in_source = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        in_source.add(message if isinstance(message, str) else message[0])
    for locale in ("zh_Hans", "en"):
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(locale) if m.id}
        missing = sorted(in_source - known)
        assert not missing, (f"{len(missing)} strings are missing from the {locale} catalogue; run "
                             f"`make messages` and translate them: {missing[:10]}")



def test_placeholders_survive_translation():
    import re

    for message in _catalogue("zh_Hans"):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[-1]
        target = message.string if isinstance(message.string, str) else message.string[0]
        pattern = r"%\(\w+\)[sd]|\{\w+\}"
        assert sorted(re.findall(pattern, source)) == sorted(re.findall(pattern, target)), source


def test_error_pages_and_json_errors_speak_the_readers_language(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 404 and "未找到该页面" in page.get_data(as_text=True)
    api = client.get("/api/v2/no-such.json", headers={"Accept-Language": "zh-CN"})
    assert api.status_code == 404 and api.json["error"]["message"] == "未找到该页面。"
    assert client.get("/no-such-page?lang=en").get_data(as_text=True).count("We could not find that page.") >= 1


def test_made_up_time_zone_cookies_share_one_cached_page(client):
    from statuspage import cache

    client.get("/?lang=en")
    before = len(cache._bodies)
    for n in range(5):
        client.set_cookie("tz", f"Made/Up{n}")
        assert client.get("/").status_code == 200
    assert len(cache._bodies) == before
