"""The questionnaire macros render DKFDS markup that works without JavaScript and under a strict CSP."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

import forms
from forms import build_form_class, load_definition, normalise, to_formdata
from forms.model import thaw

TEMPLATES = Path(__file__).parents[2] / "templates"
VOID = {"input", "br", "hr", "img", "meta", "link"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def all_text(self) -> str:
        return self.text + "".join(child.all_text() for child in self.children)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = self.current = Node("#root", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.current.tag == tag, f"</{tag}> closes <{self.current.tag}>"
        self.current = self.current.parent

    def handle_data(self, data):
        self.current.text += data


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.current is builder.root, "unclosed elements"
    return builder.root


@pytest.fixture(scope="module")
def q() -> forms.Questionnaire:
    return load_definition(Path(__file__).parent / "fixtures" / "good.toml")


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )


def render(env, q, data=None, sections=None, extra=(), errors=None) -> Node:
    form = build_form_class(q, sections, extra)(formdata=to_formdata(q, {}) if data is None else data)
    template = env.from_string(
        '{% from "_macros/questionnaire.html" import questionnaire %}'
        "{{ questionnaire(q, form, errors, sections, extra) }}"
    )
    html = template.render(q=q, form=form, errors=errors or {}, sections=sections, extra=extra)
    return parse(html)


def by_key(root: Node) -> dict[str, Node]:
    return {node.attrs["data-key"]: node for node in root.walk() if "data-key" in node.attrs}


def ids(root: Node) -> list[str]:
    return [node.attrs["id"] for node in root.walk() if node.attrs.get("id")]


def test_every_answer_key_and_container_has_a_data_key_container(env, q) -> None:
    containers = by_key(render(env, q))
    expected = {"del1", "del2", "del3", "q10", "q11", *q.answer_keys()}
    assert set(containers) == expected


def test_data_show_if_carries_each_rule_as_json(env, q) -> None:
    containers = by_key(render(env, q))
    for slot in q.slots:
        rule = containers[slot.key].attrs.get("data-show-if")
        expected = None if slot.role == "date" else thaw(slot.own_rule)  # D17: the date is always shown
        assert (json.loads(rule) if rule else None) == expected, slot.key
    assert json.loads(containers["q2_andet"].attrs["data-show-if"]) == {"q": "q2", "has": 3}
    assert containers["q6"].attrs["data-date-code"] == "2"


def test_a_date_or_before_is_a_date_input_with_its_other_options_as_boxes_under_it(env, q) -> None:
    root = render(env, q)
    container = by_key(root)["q6"]
    inputs = [node for node in container.walk() if node.tag == "input"]
    assert [(i.attrs["name"], i.attrs["type"], i.attrs.get("value")) for i in inputs] == [
        ("q6_dato", "text", ""), ("q6", "checkbox", "1"), ("q6", "checkbox", "3"),
    ]
    assert all("data-exclusive" in i.attrs for i in inputs[1:])  # the boxes exclude each other


def test_follow_ups_sit_inside_their_question_after_their_option(env, q) -> None:
    containers = by_key(render(env, q))
    andet = containers["q1_andet"]
    assert containers["q1"] in list(andet.ancestors())
    siblings = andet.parent.children
    previous = siblings[siblings.index(andet) - 1]
    assert [n.attrs.get("value") for n in previous.walk() if n.tag == "input"] == ["3"]


def test_radios_and_checkboxes_are_in_a_fieldset_with_a_legend(env, q) -> None:
    root = render(env, q)
    for node in root.walk():
        if node.tag == "input" and node.attrs.get("type") in ("radio", "checkbox"):
            fieldset = next(a for a in node.ancestors() if a.tag == "fieldset")
            assert fieldset.children[0].tag == "legend" and fieldset.children[0].all_text().strip()
            assert node.attrs["class"] == f"form-{node.attrs['type']}"


def test_every_input_has_a_unique_id_and_a_label(env, q) -> None:
    root = render(env, q)
    all_ids = ids(root)
    assert len(all_ids) == len(set(all_ids))
    labels = {node.attrs["for"]: node.all_text().strip() for node in root.walk() if node.tag == "label"}
    for node in root.walk():
        if node.tag in ("input", "textarea"):
            assert labels.get(node.attrs["id"]), node.attrs


def test_names_are_the_form_field_names(env, q) -> None:
    root = render(env, q)
    names = {node.attrs["name"] for node in root.walk() if node.tag in ("input", "textarea")}
    assert names == {field.name for field in build_form_class(q)()}


def test_hours_and_minutes_sit_side_by_side_with_their_labels(env, q) -> None:
    container = by_key(render(env, q))["q10_tid"]
    group = next(n for n in container.walk() if "date-group" in n.classes())
    labels = [n.all_text().strip() for n in group.walk() if n.tag == "label"]
    assert labels == ["Timer", "Minutter"]
    assert [n.attrs["name"] for n in group.walk() if n.tag == "input"] == [
        "q10_tid_timer",
        "q10_tid_minutter",
    ]


def test_grid_items_are_fieldsets_of_radios_inside_the_grid(env, q) -> None:
    containers = by_key(render(env, q))
    grid = containers["q11"]
    for key in ("q11_1", "q11_2", "q11_3"):
        item = containers[key]
        assert grid in list(item.ancestors())
        legend = next(n for n in item.walk() if n.tag == "legend")
        assert legend.all_text().strip() == q.slot(key).label
        assert [n.attrs["value"] for n in item.walk() if n.tag == "input"] == ["0", "1", "2", "77"]


def test_optional_questions_say_so(env, q) -> None:
    containers = by_key(render(env, q))
    assert "(frivilligt)" in containers["q8"].all_text()
    assert "(frivilligt)" in containers["q1_andet"].all_text()
    assert "(frivilligt)" not in containers["q12"].all_text()


def test_only_due_sections_and_extra_questions_are_rendered(env, q) -> None:
    containers = by_key(render(env, q, sections={"del2"}, extra=("q6", "q7")))
    assert {"q6", "q6_dato", "q7", "q10_tid"} <= set(containers)
    assert "q1" not in containers and "q20" not in containers and "del3" not in containers


def test_errors_are_summarised_with_links_and_tied_to_their_fields(env, q) -> None:
    data = {"q1": ["1"], "q2": ["1", "2"], "q12": ["mange"], "q10_tid_minutter": ["75"], "q6": ["2"]}
    result = normalise(q, data, sections=["del1", "del2"])
    root = render(env, q, data=forms.FormData(data), sections={"del1", "del2"}, errors=result.errors)
    summary = next(n for n in root.walk() if n.attrs.get("id") == "error-summary")
    assert summary.attrs["role"] == "alert" and "alert-error" in summary.classes()
    links = [n.attrs["href"] for n in summary.walk() if n.tag == "a"]
    present = set(ids(root))
    assert links[:3] == ["#q2-0", "#q3-0", "#q6_dato"]
    assert all(link[1:] in present for link in links)
    assert len(links) == sum(len(messages) for messages in result.errors.values())
    containers = by_key(root)
    for key in result.errors:
        assert "form-error" in containers[key].classes()
        message = next(n for n in root.walk() if n.attrs.get("id") == f"{key}-error")
        assert "form-error-message" in message.classes()
        described = [
            n for n in containers[key].walk() if f"{key}-error" in (n.attrs.get("aria-describedby") or "")
        ]
        assert described, f"nothing in {key} is described by its error"
    q12 = next(n for n in root.walk() if n.attrs.get("id") == "q12")
    assert q12.attrs["aria-invalid"] == "true" and q12.attrs["value"] == "mange"


def test_no_summary_without_errors(env, q) -> None:
    assert "error-summary" not in ids(render(env, q))


def test_hints_are_linked_to_their_field(env, q) -> None:
    root = render(env, q)
    q8 = next(n for n in root.walk() if n.attrs.get("id") == "q8")
    assert q8.attrs["aria-describedby"] == "q8-hint"
    assert "q8-hint" in ids(root)


def test_nothing_is_hidden_and_nothing_runs_inline(env, q) -> None:
    root = render(env, q)
    for node in root.walk():
        assert node.tag not in ("script", "style")
        assert "hidden" not in node.attrs and "style" not in node.attrs
        assert not any(name.startswith("on") for name in node.attrs), node.attrs
        assert "required" not in node.attrs, "browser validation would block hidden required fields"


def test_labels_are_escaped(env, q) -> None:
    tricky = forms.parse_definition(
        '[questionnaire]\nkey = "x"\nversion = 1\ntitle = "X"\n[[sections]]\nkey = "s"\ntitle = "<b>S</b>"\n'
        '[[sections.questions]]\nkey = "q1"\ntype = "text"\nlabel = "<script>alert(1)</script>"\n'
    )
    root = render(env, tricky)
    assert not [n for n in root.walk() if n.tag in ("script", "b")]
