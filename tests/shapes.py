"""Structure mutations of real records, for the shape-fuzzing tests (tests/test_totality.py, tests/test_shape_fuzz.py).

A real record (a card's front matter, a JSON document, a table) is changed at one place: a value replaced by one
of another shape, a key dropped, a value wrapped one level deeper, or duplicated. `LEDGER_FUZZ_EXAMPLES` sets the
cases per test (`make fuzz` runs many more than `make test`)."""

from __future__ import annotations

import copy
import os

from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "60"))

# Values of every shape a YAML or JSON document can hold, small and large.
SHAPES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30) | st.just("x" * 5000),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
OPERATIONS = st.sampled_from(["replace", "drop", "wrap", "duplicate"])


def paths(node, prefix=()):
    """Every key path of a nested mapping/list (where a mutation can be made), the root excluded."""
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def mutate(document, path: tuple, operation: str, value):
    """A deep copy of `document` with `operation` applied at `path`."""
    document = copy.deepcopy(document)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if operation == "replace":
        parent[key] = value
    elif operation == "drop":
        del parent[key]
    elif operation == "wrap":  # the same value one level deeper: a list or a mapping where it was
        parent[key] = [parent[key]] if isinstance(value, list) else {"value": parent[key]}
    elif isinstance(parent, list):  # duplicate: as a second item
        parent.append(copy.deepcopy(parent[key]))
    else:  # duplicate: under a second key
        parent[f"{key}_2" if isinstance(key, str) else key] = copy.deepcopy(parent[key])
    return document
