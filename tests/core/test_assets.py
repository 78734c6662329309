"""Static files as a phone gets them (issue 16): compressed, cached for a year by fingerprint, woff2
fonts only, and an icon sprite that holds every icon a page shows and little else."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

import factories
from support import login

USE = re.compile(r'<use href="([^"#]+)#([\w-]+)"')


def icons_on(client: FlaskClient, paths: list[str]) -> tuple[set[str], set[str]]:
    """The sprite URLs and icon names the pages at ``paths`` refer to."""
    urls, names = set(), set()
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        for url, name in USE.findall(response.get_data(as_text=True)):
            urls.add(url)
            names.add(name)
    return urls, names


def test_every_icon_a_page_shows_is_in_the_served_sprite(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        number = factories.client(factories.user("skp", email="sara@example.com"))
        factories.user("admin", email="admin@example.com", municipality_name=None)
    login(client, "sara@example.com")
    urls, names = icons_on(client, ["/", "/skp/reports", f"/skp/clients/{number}", "/hjaelp"])
    admin = app.test_client()
    login(admin, "admin@example.com")
    more_urls, more_names = icons_on(admin, ["/", "/admin/organisation"])
    urls, names = urls | more_urls, names | more_names
    assert {"menu", "close", "lock", "edit", "chevron-left"} <= names
    assert len(urls) == 1
    sprite = client.get(urls.pop())
    assert sprite.status_code == 200 and sprite.mimetype == "image/svg+xml"
    symbols = set(re.findall(r'<symbol id="([\w-]+)"', sprite.get_data(as_text=True)))
    assert names <= symbols
    assert len(symbols) < 20 and len(sprite.get_data()) < 5_000  # DKFDS's sprite has 151 icons, 52 KiB


def test_a_fingerprinted_file_is_compressed_and_cached_for_a_year(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    url = re.search(r'href="(/assets/dkfds/css/dkfds\.min\.css\?v=[0-9a-f]+)"', html).group(1)
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in response.headers["Vary"]
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    stale = client.get(url.split("?")[0] + "?v=0000", headers={"Accept-Encoding": "gzip"})
    assert stale.headers["Content-Encoding"] == "gzip" and stale.headers["Cache-Control"] == "public, max-age=300"


def test_the_stylesheet_offers_woff2_fonts_only(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    url = re.search(r'href="(/assets/dkfds/css/dkfds\.min\.css\?v=[0-9a-f]+)"', html).group(1)
    css = client.get(url).get_data(as_text=True)
    fonts = re.findall(r"url\(([^)]*IBMPlexSans[^)]*)\)", css)
    assert fonts and all(".woff2?v=" in font for font in fonts)
    assert ".woff)" not in css and ".eot" not in css and "font-display:optional" in css


def covers(unicode_range: str, code_point: int) -> bool:
    for part in unicode_range.split(","):
        first, _, last = part.strip().removeprefix("U+").partition("-")
        if int(first, 16) <= code_point <= int(last or first, 16):
            return True
    return False


def test_danish_text_needs_only_the_small_font_files(client: FlaskClient) -> None:
    """Each face comes as IBM Plex's Latin-1 subset (17 KiB) and the complete face (57 KiB) for
    anything else: the complete one must not cover a Danish letter, or a phone would fetch it too."""
    html = client.get("/login").get_data(as_text=True)
    url = re.search(r'href="(/assets/dkfds/css/dkfds\.min\.css\?v=[0-9a-f]+)"', html).group(1)
    css = client.get(url).get_data(as_text=True)
    faces = re.findall(r"@font-face\{[^}]*\}", css)
    complete = [f for f in faces if "/complete/" in f]
    subsets = [f for f in faces if "-Latin1.woff2" in f]
    assert len(complete) == len(subsets) == 8
    for face in complete:
        unicode_range = re.search(r"unicode-range:([^;}]+)", face).group(1)
        assert not any(covers(unicode_range, ord(c)) for c in "aæøåÆØÅé–€ 0")
        assert covers(unicode_range, ord("Ł")) and covers(unicode_range, ord("≥"))
    for face in subsets:
        unicode_range = re.search(r"unicode-range:([^;}]+)", face).group(1)
        assert all(covers(unicode_range, ord(c)) for c in "aæøåÆØÅé–€ 0")
