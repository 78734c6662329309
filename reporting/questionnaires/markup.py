"""A questionnaire's form markup: rendered once per (definition version, parts asked), filled per request.

The markup comes from one place, the ``questionnaire`` macro (templates/_macros/questionnaire.html).
Rendering its ~100 questions and ~800 options with Jinja and WTForms was most of the CPU of
opening a report. Without error messages the markup differs between requests only in the
answers: which radio buttons and checkboxes are ``checked``, the ``value`` of text inputs and
the content of text areas. So the macro is rendered once with no answers, split at exactly those
places, and each request joins the pieces with its own answers, the way WTForms would have
rendered them (``tests/questionnaires/test_questionnaire_markup.py`` compares both, byte for byte). A page with
error messages is rendered by the macro in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import unescape
from typing import Any

from flask import current_app
from markupsafe import Markup, escape

from forms.model import Questionnaire
from forms.wtf import build_form_class

#: One input of the empty render: radios/checkboxes, text inputs, and text areas (WTForms puts
#: "\r\n" before a text area's content).
_FIELD_RE = re.compile(r'<input\b[^>]*>|<textarea\b[^>]*>\r\n(?=</textarea>)')
_ATTR_RE = re.compile(r'\b(name|type|value)="([^"]*)"')


@dataclass(frozen=True)
class _Checked:
    """`` checked`` when the posted values of ``name`` select ``value`` (radios: the first value only)."""

    name: str
    value: str
    single: bool

    def render(self, formdata: Any) -> str:
        values = formdata.getlist(self.name)
        chosen = values[:1] if self.single else values
        return " checked" if self.value in chosen else ""


@dataclass(frozen=True)
class _Text:
    """The first posted value of ``name``, escaped (a text input's value or a text area's content)."""

    name: str

    def render(self, formdata: Any) -> str:
        values = formdata.getlist(self.name)
        return str(escape(values[0])) if values else ""


class FillableMarkup:
    """The empty questionnaire markup, cut where answers go."""

    def __init__(self, empty_html: str) -> None:
        self.pieces: list[str | _Checked | _Text] = []
        position = 0
        for match in _FIELD_RE.finditer(empty_html):
            tag = match.group(0)
            attrs = {key: unescape(value) for key, value in _ATTR_RE.findall(tag)}
            cut = self._cut(tag, attrs)
            if cut is None:
                continue
            offset, slot = cut
            self.pieces.append(empty_html[position:match.start() + offset])
            self.pieces.append(slot)
            position = match.start() + offset
        self.pieces.append(empty_html[position:])

    @staticmethod
    def _cut(tag: str, attrs: dict[str, str]) -> tuple[int, _Checked | _Text] | None:
        """Where in ``tag`` the answer goes, and what goes there; None for tags without answers."""
        name = attrs.get("name")
        if name is None:
            return None
        if tag.startswith("<textarea"):
            return len(tag), _Text(name)
        kind = attrs.get("type")
        if kind in ("radio", "checkbox"):
            return len(tag) - 1, _Checked(name, attrs.get("value", ""), single=kind == "radio")
        if kind == "text" and ' value=""' in tag:
            return tag.index(' value=""') + len(' value="'), _Text(name)
        raise ValueError(f"questionnaire markup: an input this filler does not know: {tag}")

    def fill(self, formdata: Any) -> Markup:
        # The pieces are the autoescaped macro output and answers escaped by _Text.
        html = "".join(piece if isinstance(piece, str) else piece.render(formdata) for piece in self.pieces)
        return Markup(html)  # noqa: S704


def _key(definition: Questionnaire, sections: Iterable[str] | None, extra: Iterable[str],
         reveal: Mapping[str, str]) -> tuple:
    return (definition.key, definition.version, id(definition),
            None if sections is None else frozenset(sections), frozenset(extra), frozenset(reveal.items()))



def _cache() -> dict[tuple, Any]:
    return current_app.extensions.setdefault("questionnaire_markup", {})


def _fillable(definition: Questionnaire, sections: Iterable[str] | None, extra: Iterable[str],
              reveal: Mapping[str, str]) -> FillableMarkup:
    key = ("markup", *_key(definition, sections, extra, reveal))
    cache = _cache()
    if key not in cache:
        empty = render_in_full(definition, sections, extra, formdata=None, errors={}, reveal=reveal)
        cache.setdefault(key, (definition, FillableMarkup(str(empty))))  # the definition keeps its id
    return cache[key][1]


def render_in_full(definition: Questionnaire, sections: Iterable[str] | None, extra: Iterable[str],
                   formdata: Any, errors: dict[str, list[str]], reveal: Mapping[str, str] | None = None) -> Markup:
    """The ``questionnaire`` macro's output, rendered now (``formdata`` None: no answers)."""
    form = build_form_class(definition, sections, extra)(formdata=formdata)
    macros = current_app.jinja_env.get_template("_macros/questionnaire.html").module
    return macros.questionnaire(definition, form, errors, None if sections is None else frozenset(sections),
                                tuple(extra), dict(reveal or {}))


def questionnaire_markup(definition: Questionnaire, sections: Iterable[str] | None, extra: Iterable[str],
                         formdata: Any, errors: dict[str, list[str]],
                         reveal: Mapping[str, str] | None = None) -> Markup:
    """The questionnaire's form markup showing ``formdata`` (a MultiDict) and ``errors``.

    Identical to the ``questionnaire`` macro's output for the same arguments; without errors it
    comes from the cached empty markup, filled in.
    """
    reveal = reveal or {}
    if errors:
        return render_in_full(definition, sections, extra, formdata, errors, reveal)
    return _fillable(definition, sections, extra, reveal).fill(formdata)
