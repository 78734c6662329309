"""Static files: Det Fælles Designsystem (npm ``dkfds``), Chart.js and the skip-logic script from their
packages, and the app's own ``reporting/static`` files, served compressed with fingerprinted URLs.

- **Fingerprints.** ``url_for`` adds ``?v=<content digest>`` to every URL of these endpoints (see
  :func:`init_app`). A request whose ``v`` matches the file as it is now is cacheable for a year
  (``immutable``); any other request gets the current file with a five-minute lifetime, so an edited
  file is never stuck in a browser.
- **Compression.** CSS, JavaScript, SVG and JSON are served as Brotli or gzip, whichever the browser
  accepts (``Vary: Accept-Encoding``). The compressed bytes are made once per file version
  (``flask --app wsgi build-assets`` at install time writes them to ``instance/asset-cache``; a file
  changed since is compressed on its first request) and kept in memory per process.
- **Fonts.** DKFDS's stylesheet lists ``.eot``/``.woff`` before ``.woff2`` for the Regular face and
  uses the 57 KiB complete faces. The served copy declares woff2 only, with IBM Plex's Latin-1
  subsets (17 KiB each) for the characters Danish text uses and the complete face as the fallback
  for anything else. Every ``url()`` in it carries its target's fingerprint. The faces are
  ``font-display: optional``: a page whose fonts are not there within the browser's short block
  period keeps the fallback font instead of re-flowing when they arrive (with ``swap`` the text of a
  submitted report jumped by up to 28 px: layout shift 0.097 in Lighthouse); they are cached for the
  next page.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import brotli
import click
from flask import Blueprint, Flask, Response, abort, current_app, request
from werkzeug.security import safe_join

import forms
from reporting.auth.access import public

bp = Blueprint("assets", __name__, url_prefix="/assets")

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = Path(__file__).resolve().parent / "static"
CHARTJS_DIR = ROOT / "node_modules/chart.js/dist"
SKIPLOGIC_DIR = Path(forms.__file__).parent / "static"
FAVICON = STATIC_DIR / "core/favicon.svg"

YEAR = 365 * 24 * 3600
SHORT = 300
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json",
                "text/plain", "application/manifest+json"}
VERSIONED_ENDPOINTS = {"static", "assets.dkfds", "assets.chartjs", "assets.skiplogic", "assets.logo"}

# IBM Plex's "Latin1" subset (the split fonts shipped in dkfds/dist/fonts/IBMPlexSans/split).
LATIN1_RANGE = ("U+0000,U+000D,U+0020-007E,U+00A0-00FF,U+0131,U+0152-0153,U+02C6,U+02DA,U+02DC,U+2013-2014,"
                "U+2018-201A,U+201C-201E,U+2020-2022,U+2026,U+2030,U+2039-203A,U+2044,U+2074,U+20AC,U+2122,"
                "U+2212,U+FB01-FB02")


def _complement(ranges: str) -> str:
    """The code points outside a CSS ``unicode-range`` list, as another such list."""
    covered = []
    for part in ranges.split(","):
        first, _, last = part.removeprefix("U+").partition("-")
        covered.append((int(first, 16), int(last or first, 16)))
    gaps, start = [], 0
    for first, last in sorted(covered):
        if first > start:
            gaps.append((start, first - 1))
        start = max(start, last + 1)
    gaps.append((start, 0x10FFFF))
    return ",".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in gaps)


OUTSIDE_LATIN1 = _complement(LATIN1_RANGE)
FACES = [("normal", 400, "Regular"), ("italic", 400, "Italic"), ("normal", 500, "Medium"),
         ("italic", 500, "MediumItalic"), ("normal", 600, "SemiBold"), ("italic", 600, "SemiBoldItalic"),
         ("normal", 700, "Bold"), ("italic", 700, "BoldItalic")]
FONT_FACE = re.compile(r"@font-face\{[^}]*font-family:IBM Plex Sans[^}]*\}")
CSS_URL = re.compile(r"url\((?!data:)(['\"]?)([^'\")?#]+)([?#][^'\")]*)?\1\)")


@dataclass(frozen=True)
class Asset:
    body: bytes
    digest: str
    mimetype: str
    br: bytes | None = None
    gz: bytes | None = None


class AssetStore:
    """File contents, transformed and compressed once per version of the file, for the whole process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._assets: dict[tuple[str, int, int], Asset] = {}
        self._digests: dict[tuple[str, int, int], str] = {}

    @staticmethod
    def _key(path: Path) -> tuple[str, int, int]:
        stat = path.stat()
        if path.name in PURGED:  # its served copy also depends on the markup (see purge)
            return str(path), max(stat.st_mtime_ns, _markup_mtime()), stat.st_size
        return str(path), stat.st_mtime_ns, stat.st_size

    def digest(self, path: Path) -> str:
        """The fingerprint of a file as it would be served (after any transformation)."""
        key = self._key(path)
        found = self._digests.get(key)
        if found is None:
            found = self.get(path).digest
        return found

    def get(self, path: Path, cache_dir: Path | None = None) -> Asset:
        key = self._key(path)
        asset = self._assets.get(key)
        if asset is None:
            asset = _build(path, cache_dir)
            with self._lock:
                self._assets[key] = asset
                self._digests[key] = asset.digest
        return asset


STORE = AssetStore()


def _mimetype(path: Path) -> str:
    if path.suffix == ".woff2":
        return "font/woff2"
    if path.suffix == ".js":
        return "text/javascript"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _build(path: Path, cache_dir: Path | None) -> Asset:
    body = path.read_bytes()
    if path.name == "dkfds.min.css":
        body = dkfds_css(body.decode("utf-8"), path.parent).encode("utf-8")
    elif path.name == "all-svg-icons.svg":
        body = dkfds_sprite(body.decode("utf-8"), used_icons()).encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()[:16]
    mimetype = _mimetype(path)
    if mimetype not in COMPRESSIBLE or len(body) < 512:
        return Asset(body, digest, mimetype)
    br = _cached(cache_dir, f"{digest}.br", lambda: brotli.compress(body, quality=11))
    gz = _cached(cache_dir, f"{digest}.gz", lambda: gzip.compress(body, compresslevel=9, mtime=0))
    return Asset(body, digest, mimetype, br, gz)


def _cached(cache_dir: Path | None, name: str, make) -> bytes:  # type: ignore[no-untyped-def]
    """Compressed bytes from the install-time cache, or made now (and stored there when possible)."""
    if cache_dir is not None:
        target = cache_dir / name
        if target.exists():
            return target.read_bytes()
    data: bytes = make()
    if cache_dir is not None:
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            temporary = cache_dir / f".{name}.{threading.get_ident()}.tmp"
            temporary.write_bytes(data)
            temporary.replace(cache_dir / name)
        except OSError:
            pass  # a read-only instance folder: the bytes stay in memory
    return data


PURGED = {"dkfds.min.css", "all-svg-icons.svg"}
MARKUP_SOURCES = [(ROOT / "templates", "*.html"), (STATIC_DIR, "*.js"), (SKIPLOGIC_DIR, "*.js"),
                  (Path(__file__).resolve().parent, "*.py"), (Path(forms.__file__).parent, "*.py")]
TOKEN = re.compile(r"[A-Za-z_][\w-]*")
CLASS = re.compile(r"\.(-?[A-Za-z_][\w-]*)")
# Families of classes that templates build from a variable (``alert-{{ kind }}``, ``form-{{ kind }}``).
KEEP_PREFIXES = ("alert-", "badge-", "form-", "input-", "radio-", "checkbox-", "button-")


def _markup_files() -> list[Path]:
    return [p for directory, pattern in MARKUP_SOURCES if directory.is_dir() for p in directory.rglob(pattern)]


def _markup_mtime() -> int:
    return max((p.stat().st_mtime_ns for p in _markup_files()), default=0)


def _used_words(css_dir: Path) -> set[str]:
    """Every word in the templates, the app's scripts and Python code, and DKFDS's own JavaScript
    (which adds classes at run time): a class that appears nowhere in them is never on a page."""
    words: set[str] = set()
    for path in [*_markup_files(), css_dir.parent / "js/dkfds.min.js"]:
        if path.is_file():
            words.update(TOKEN.findall(path.read_text(encoding="utf-8", errors="replace")))
    return words


def _split_rules(css: str) -> list[str]:
    """Top-level rules and at-rules of minified CSS (braces balanced; strings hold none in DKFDS)."""
    rules, depth, start = [], 0, 0
    for i, char in enumerate(css):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                rules.append(css[start:i + 1])
                start = i + 1
    return rules


def purge(css: str, words: set[str]) -> str:
    """DKFDS's stylesheet without the rules for components the service never uses (about 80 % of it,
    so a phone spends less time on style calculation before the first paint). A selector stays when
    every class it names appears somewhere in the markup sources; element selectors always stay."""
    kept = []
    for rule in _split_rules(css):
        head, _, body = rule.partition("{")
        if head.startswith("@media") or head.startswith("@supports"):
            inner = purge(body[:-1], words)
            if inner:
                kept.append(head + "{" + inner + "}")
        elif head.startswith("@"):
            kept.append(rule)
        else:
            selectors = [s for s in head.split(",")
                         if all(c in words or c.startswith(KEEP_PREFIXES) for c in CLASS.findall(s))]
            if selectors:
                kept.append(",".join(selectors) + "{" + body)
    return "".join(kept)


SYMBOL = re.compile(r'<symbol id="([^"]+)".*?</symbol>', re.DOTALL)
# ``icon('name')`` in a template, and the (name, label) pairs of ``ALERT_ICONS`` in _macros/fds.html.
ICON_NAME = re.compile(r"""\bicon\(\s*['"]([\w-]+)['"]|\(\s*'([\w-]+)',\s*'[^']*'\)""")


def used_icons() -> set[str]:
    """The icon names the templates use (``icon()`` calls and the alert icons)."""
    names: set[str] = set()
    for path in (ROOT / "templates").rglob("*.html"):
        for match in ICON_NAME.finditer(path.read_text(encoding="utf-8")):
            names.add(match.group(1) or match.group(2))
    return names


def dkfds_sprite(svg: str, names: set[str]) -> str:
    """DKFDS's icon sprite with only the icons the templates use (:func:`used_icons`): 10 of its
    151 symbols, 52 KiB → 3 KiB (13 KiB → 0.9 KiB as Brotli). A phone fetches the sprite before its
    first paint, and Lighthouse counted all of it in every page's largest contentful paint."""
    return SYMBOL.sub(lambda symbol: symbol.group(0) if symbol.group(1) in names else "", svg)


def dkfds_css(css: str, css_dir: Path) -> str:
    """DKFDS's stylesheet with woff2-only font faces (Latin-1 subsets first) and fingerprinted url()s."""
    faces = []
    for style, weight, name in FACES:
        complete = f"../fonts/IBMPlexSans/complete/woff2/IBMPlexSans-{name}.woff2"
        subset = f"../fonts/IBMPlexSans/split/woff2/IBMPlexSans-{name}-Latin1.woff2"
        common = f"font-display:optional;font-family:IBM Plex Sans;font-style:{style};font-weight:{weight}"
        # The complete face covers only what the subset does not: it is fetched for a character
        # outside Latin-1 and never stands in for a subset that is still loading (font-display).
        faces.append(f"@font-face{{{common};src:url({complete}) format(\"woff2\");unicode-range:{OUTSIDE_LATIN1}}}")
        faces.append(f"@font-face{{{common};src:url({subset}) format(\"woff2\");unicode-range:{LATIN1_RANGE}}}")
    css = purge(css, _used_words(css_dir))
    first = FONT_FACE.search(css)
    css = FONT_FACE.sub("", css)
    if first is not None:
        css = css[:first.start()] + "".join(faces) + css[first.start():]

    def versioned(match: re.Match[str]) -> str:
        target = (css_dir / match.group(2)).resolve()
        if not target.is_file():
            return match.group(0)
        return f"url({match.group(2)}?v={STORE.digest(target)})"

    return CSS_URL.sub(versioned, css)


def respond(path: Path, max_age_if_current: int = YEAR) -> Response:
    """The file at ``path`` (compressed when the browser accepts it), cached for a year when the
    request's ``v`` is its fingerprint."""
    if not path.is_file():
        abort(404)
    cache_dir = Path(current_app.instance_path) / "asset-cache"
    asset = STORE.get(path, cache_dir)
    current = request.args.get("v") == asset.digest
    etag = f'"{asset.digest}"'
    headers = {"ETag": etag, "Vary": "Accept-Encoding",
               "Cache-Control": (f"public, max-age={max_age_if_current}, immutable" if current
                                 else f"public, max-age={SHORT}")}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    accepted = request.headers.get("Accept-Encoding", "").lower()
    body, encoding = asset.body, None
    if asset.br is not None and "br" in accepted:
        body, encoding = asset.br, "br"
    elif asset.gz is not None and "gzip" in accepted:
        body, encoding = asset.gz, "gzip"
    response = Response(body, mimetype=asset.mimetype, headers=headers)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    if asset.mimetype.startswith("text/"):
        response.mimetype = asset.mimetype
        response.charset = "utf-8"
    return response


def _file(directory: Path | str, filename: str) -> Path:
    joined = safe_join(str(directory), filename)
    if joined is None:
        abort(404)
    return Path(joined)


def _dkfds_dir() -> Path:
    return Path(current_app.config["DKFDS_DIR"])


def _chartjs_dir() -> Path:
    return Path(current_app.config.get("CHARTJS_DIR") or CHARTJS_DIR)


@bp.route("/dkfds/<path:filename>")
@public
def dkfds(filename: str):  # type: ignore[no-untyped-def]
    return respond(_file(_dkfds_dir(), filename))


@bp.route("/js/skiplogic.js")
@public
def skiplogic():  # type: ignore[no-untyped-def]
    """The browser mirror of the skip-logic rules, shipped with the questionnaire engine."""
    return respond(SKIPLOGIC_DIR / "skiplogic.js")


@bp.route("/chartjs/<path:filename>")
@public
def chartjs(filename: str):  # type: ignore[no-untyped-def]
    """Chart.js (npm ``chart.js``, installed by ``make``) for the compliance chart."""
    return respond(_file(_chartjs_dir(), filename))


@public
def logo():  # type: ignore[no-untyped-def]
    """The authority's logo (``SERVICE_LOGO``, an SVG or PNG file) for the DKFDS header's logo slot."""
    path = current_app.config.get("SERVICE_LOGO") or ""
    if not path:
        abort(404)
    return respond(Path(path))


@public
def favicon():  # type: ignore[no-untyped-def]
    """``/favicon.ico`` (browsers ask for it by that name): the service's SVG icon, cached a day."""
    response = respond(FAVICON, max_age_if_current=YEAR)
    if response.status_code == 200 and "immutable" not in response.headers["Cache-Control"]:
        response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@public
def static(filename: str):  # type: ignore[no-untyped-def]
    """The app's own ``reporting/static`` files (replaces Flask's static view)."""
    return respond(_file(STATIC_DIR, filename))


def _source(endpoint: str, values: dict[str, object]) -> Path | None:
    filename = str(values.get("filename", ""))
    if endpoint == "static":
        return _file(STATIC_DIR, filename)
    if endpoint == "assets.dkfds":
        return _file(_dkfds_dir(), filename)
    if endpoint == "assets.chartjs":
        return _file(_chartjs_dir(), filename)
    if endpoint == "assets.skiplogic":
        return SKIPLOGIC_DIR / "skiplogic.js"
    if endpoint == "assets.logo" and current_app.config.get("SERVICE_LOGO"):
        return Path(current_app.config["SERVICE_LOGO"])
    return None


def fingerprint(endpoint: str, values: dict[str, object]) -> None:
    """``url_for`` hook: add ``v=<digest>`` to every static and package file URL."""
    if endpoint not in VERSIONED_ENDPOINTS or "v" in values:
        return
    try:
        path = _source(endpoint, values)
        if path is not None and path.is_file():
            values["v"] = STORE.digest(path)
    except Exception:  # noqa: BLE001 - a missing file is a 404 when fetched, never a broken page
        return


def build_all(app: Flask) -> int:
    """Compress every servable text file into ``instance/asset-cache`` (``make`` runs this)."""
    cache_dir = Path(app.instance_path) / "asset-cache"
    sources = [Path(app.config["DKFDS_DIR"]) / sub for sub in ("css/dkfds.min.css", "js/dkfds.min.js",
                                                                "img/all-svg-icons.svg")]
    sources += [CHARTJS_DIR / "chart.umd.min.js", SKIPLOGIC_DIR / "skiplogic.js", FAVICON]
    sources += [p for p in STATIC_DIR.rglob("*") if p.is_file()]
    count = 0
    for path in sources:
        if path.is_file():
            STORE.get(path, cache_dir)
            count += 1
    return count


def init_app(app: Flask) -> None:
    """Fingerprinted URLs, the compressing static view and ``/favicon.ico``."""
    app.url_defaults(fingerprint)
    if "static" in app.view_functions:
        app.view_functions["static"] = static
    app.add_url_rule("/favicon.ico", "assets.favicon", favicon)
    if app.config.get("SERVICE_LOGO"):
        app.add_url_rule("/assets/logo", "assets.logo", logo)

    @app.cli.command("build-assets")
    def build_assets_command() -> None:
        """Compress the static files once (Brotli and gzip) into instance/asset-cache."""
        click.echo(f"{build_all(app)} files ready in {Path(app.instance_path) / 'asset-cache'}")
