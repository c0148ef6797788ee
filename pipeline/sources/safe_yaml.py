"""Limits checked before any YAML is built into objects: aliases (billion-laughs bombs) and nesting depth.

PyYAML's safe loader never constructs arbitrary objects, but it will happily build a structure whose
aliases expand to billions of nodes, or recurse until the stack runs out. Walking the event stream
first costs one linear pass and builds nothing.
"""

from __future__ import annotations

import yaml

MAX_ALIASES = 50
MAX_DEPTH = 40
MAX_EVENTS = 200_000
# Front matter longer than this is walked whatever it looks like: libyaml's loader recurses once per level
# and overflows the C stack (a segmentation fault, not an exception) at tens of thousands of levels, which a
# single line of complex keys (`? ? ? ...`) reaches with no bracket and no indentation.
ALWAYS_CHECK_CHARS = 16_384


class UnsafeYaml(ValueError):
    pass


def needs_check(text: str) -> bool:
    """Could `text` break a limit? Aliases need an anchor (`&`) and a star; nesting past the limit needs
    that many brackets, complex-key marks or that much indentation; that many nodes needs that many characters.
    Plain cards fail every test and skip the event walk."""
    if "&" in text and "*" in text:
        return True
    if text.count("[") + text.count("{") + text.count("?") > MAX_DEPTH or len(text) > ALWAYS_CHECK_CHARS:
        return True
    return any(len(line) - len(line.lstrip(" -")) > MAX_DEPTH for line in text.splitlines())


def check_yaml(text: str) -> None:
    """Raise UnsafeYaml when `text` has too many aliases, too deep nesting or too many nodes."""
    if not needs_check(text):
        return
    aliases = depth = events = 0
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            events += 1
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise UnsafeYaml(f"more than {MAX_ALIASES} YAML aliases (a possible alias bomb)")
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise UnsafeYaml(f"YAML nested deeper than {MAX_DEPTH} levels")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if events > MAX_EVENTS:
                raise UnsafeYaml(f"more than {MAX_EVENTS} YAML nodes")
    except yaml.YAMLError:
        return  # malformed YAML is the loader's to report, with its own message


def front_matter(text: str) -> str | None:
    """The YAML between the opening and closing `---` of a card, if it has both."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---", 4)
    return text[4:end] if end != -1 else None
