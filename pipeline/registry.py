"""String-keyed registries fail loudly: a name that is not in one is a typo to report, never a value to drop."""

from __future__ import annotations


class UnknownName(KeyError):
    """A name looked up in a registry that does not hold it: a typo, not a value to ignore."""

    def __str__(self) -> str:  # KeyError quotes its message; this one is a sentence
        return str(self.args[0])


def lookup(registry: dict, name: str, what: str):
    """`registry[name]`, or an error that names `what` was asked for and every name that exists."""
    try:
        return registry[name]
    except KeyError:
        raise UnknownName(f"unknown {what} {name!r}; known: {', '.join(map(str, registry))}") from None


def check_names(names, known, what: str) -> None:
    """Every one of `names` is in `known`, or an UnknownName saying which are not."""
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise UnknownName(f"unknown {what} {', '.join(map(repr, unknown))}; known: {', '.join(map(str, known))}")
