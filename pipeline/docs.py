"""Write the generated parts of the docs from their one definition: `python -m pipeline.docs` (`make docs`).

A generated part sits between `<!-- NAME -->` and `<!-- end NAME -->`; tests fail when a committed doc differs
from what this would write."""

from __future__ import annotations

import re
import sys

from pipeline.paths import PROJECT_ROOT
from pipeline.sources.kinds import docs_table

GENERATED = {("docs/sources.md", "kinds"): docs_table}


def render(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- end {name} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no `<!-- {name} -->` ... `<!-- end {name} -->` block to fill")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text, count=1)


def main() -> int:
    for (relative, name), build in GENERATED.items():
        path = PROJECT_ROOT / relative
        text = path.read_text(encoding="utf-8")
        updated = render(text, name, build())
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            print(f"updated {relative} ({name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
