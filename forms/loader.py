"""Loading questionnaire definitions: one TOML file each, refused with every problem located."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from forms.checks import check
from forms.errors import DefinitionError, Problem
from forms.model import Questionnaire
from forms.schema import Reader

DEFINITIONS_DIR = Path(__file__).parent / "definitions"


def parse_definition(text: str, source: str = "<string>") -> Questionnaire:
    """A checked questionnaire from TOML text (e.g. a stored snapshot of an old version).

    Raises :class:`DefinitionError` listing every problem found.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(source, [Problem("DEF000", "(file)", f"not valid TOML: {exc}")]) from exc
    reader = Reader()
    questionnaire = reader.questionnaire(data)
    check(questionnaire, reader)
    if reader.problems:
        raise DefinitionError(source, reader.problems)
    return questionnaire


def load_definition(path: str | Path) -> Questionnaire:
    """A checked questionnaire from a TOML file; :class:`DefinitionError` if it is broken."""
    path = Path(path)
    return parse_definition(path.read_text(encoding="utf-8"), source=str(path))


def load_shipped(directory: str | Path = DEFINITIONS_DIR) -> dict[tuple[str, int], Questionnaire]:
    """Every ``*.toml`` under ``directory`` (recursively), keyed by (key, version).

    Raises :class:`DefinitionError` for the first broken file, or when two files share a key
    and version.
    """
    found: dict[tuple[str, int], Questionnaire] = {}
    origin: dict[tuple[str, int], Path] = {}
    for path in sorted(Path(directory).rglob("*.toml")):
        questionnaire = load_definition(path)
        ident = (questionnaire.key, questionnaire.version)
        if ident in found:
            message = f"key {ident[0]!r} version {ident[1]} is also defined in {origin[ident]}"
            raise DefinitionError(str(path), [Problem("DEF004", "questionnaire", message)])
        found[ident] = questionnaire
        origin[ident] = path
    return found


@functools.cache
def _shipped() -> dict[tuple[str, int], Questionnaire]:
    return load_shipped()


def get_definition(key: str, version: int | None = None) -> Questionnaire:
    """A shipped questionnaire by key and version (None = the highest version); cached.

    Raises LookupError if there is no such definition.
    """
    shipped = _shipped()
    versions = sorted(v for k, v in shipped if k == key)
    if not versions:
        raise LookupError(f"no questionnaire definition {key!r} in {DEFINITIONS_DIR}")
    wanted = versions[-1] if version is None else version
    if (key, wanted) not in shipped:
        raise LookupError(f"questionnaire {key!r} has no version {wanted} (versions: {versions})")
    return shipped[(key, wanted)]


def clear_cache() -> None:
    """Forget the loaded shipped definitions (tests, or after deploying new files)."""
    _shipped.cache_clear()
