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
    """Raise UnsafeYaml when `text` has too many aliases, too deep nesting or too many nodes, counting each
    alias as the nodes it stands for: a few dozen aliases, each naming a list of the one before, expand to
    billions of nodes from a file of a few kB."""
    if not needs_check(text):
        return
    aliases = 0
    sizes: dict[str, int] = {}  # nodes under each anchor, once its node is complete
    open_nodes: list[list] = []  # [anchor, nodes so far] for each collection being read
    total = 0

    def add(count: int, new: bool = True) -> None:
        """`count` more nodes inside the innermost open collection; `new` when they were not counted yet."""
        nonlocal total
        if new:
            total += count
        if open_nodes:
            open_nodes[-1][1] += count
        if total > MAX_EVENTS:
            raise UnsafeYaml(f"more than {MAX_EVENTS} YAML nodes once its aliases are expanded (a possible alias bomb)")

    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise UnsafeYaml(f"more than {MAX_ALIASES} YAML aliases (a possible alias bomb)")
                add(sizes.get(event.anchor, 1))
            elif isinstance(event, yaml.ScalarEvent):
                add(1)
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                add(1)
                open_nodes.append([event.anchor, 1])
                if len(open_nodes) > MAX_DEPTH:
                    raise UnsafeYaml(f"YAML nested deeper than {MAX_DEPTH} levels")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                anchor, count = open_nodes.pop()
                if anchor:
                    sizes[anchor] = count
                add(count - 1, new=False)  # the parent holds all of it (the collection itself is already there)
    except yaml.YAMLError:
        return  # malformed YAML is the loader's to report, with its own message


def front_matter(text: str) -> str | None:
    """The YAML between the opening and closing `---` of a card, if it has both."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---", 4)
    return text[4:end] if end != -1 else None
