"""Write the generated parts of the docs from their one definition: `python -m pipeline.docs` (`make docs`).

A generated part sits between `<!-- NAME -->` and `<!-- end NAME -->`; tests fail when a committed doc differs
from what this would write. The kinds table comes from the source-kind registry; the column reference
(docs/columns.md) from the field dictionary and the tables of a published warehouse (`make run` writes one)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pipeline.fields import field
from pipeline.paths import PROJECT_ROOT, default_out_dir
from pipeline.sources.kinds import docs_table


def column_reference(published: Path) -> str:
    """Every table a user queries unqualified in the published warehouse, its columns with unit and meaning."""
    import duckdb

    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute("""
            select c.table_name, c.column_name, c.data_type
            from information_schema.columns as c
            where c.table_schema = 'main' and c.table_catalog = current_database()
            order by c.table_name, c.ordinal_position""").fetchall()
        homes = dict(
            con.execute("""
            select table_name, min(table_schema || '.' || table_name) from information_schema.tables
            where table_schema not in ('main', 'information_schema', 'pg_catalog') group by table_name""").fetchall()
        )
    lines: list[str] = []
    for table in dict.fromkeys(r[0] for r in rows):
        lines += [
            "",
            f"### `{table}`" + (f" (`{homes[table]}`)" if table in homes else ""),
            "",
            "| column | type | unit | meaning |",
            "|---|---|---|---|",
        ]
        for _, column, dtype in (r for r in rows if r[0] == table):
            known = field(column)
            lines.append(
                f"| `{column}` | {dtype.lower()} | {known.unit if known else ''} | "
                f"{known.description if known else '**not in pipeline/fields.py**'} |"
            )
    return "\n".join(lines).lstrip("\n")


GENERATED = {
    ("docs/sources.md", "kinds"): docs_table,
    ("docs/columns.md", "columns"): lambda: column_reference(default_out_dir() / "warehouse.duckdb"),
}


def render(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- end {name} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no `<!-- {name} -->` ... `<!-- end {name} -->` block to fill")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text, count=1)


def main() -> int:
    published = (default_out_dir() / "warehouse.duckdb").exists()
    for (relative, name), build in GENERATED.items():
        if name == "columns" and not published:  # the kinds table needs no run; the column reference reads one
            print("docs/columns.md not rewritten: no published warehouse to read the tables of (`make run` first)", file=sys.stderr)
            continue
        path = PROJECT_ROOT / relative
        text = path.read_text(encoding="utf-8")
        updated = render(text, name, build())
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            print(f"updated {relative} ({name})")
    return 0 if published else 2


if __name__ == "__main__":
    sys.exit(main())
