"""Numbers developers print in the tables of a card's body: parameters, training tokens, GPU-hours, emissions,
GPU count and training time (Meta's training-energy table, DeepSeek's model summary, Microsoft's key-value
training table). Markdown tables are read with markdown-it, HTML tables with the standard library's parser.

A table names the model each number is about, in a row or a column heading; a number is kept only for a model of
the card's own family (the card's first name word: `DeepSeek-V3-Base` in DeepSeek-V3's card, never the
`LLaMA3.1 405B` it is compared with) and only when that name heads one row or column of the table (Meta's
`Llama 3.1 (text only)` spans three rows of sizes and is skipped). A two-column table of labels and values is about
the card's own model. Each number becomes a `reported` fact whose source is the table and its heading."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

# (pattern on a heading, quantity, unit, basis): the first that matches a heading names its quantity.
QUANTITY_HEADINGS: tuple[tuple[re.Pattern, str, str, str | None], ...] = tuple(
    (re.compile(pattern), quantity, unit, basis)
    for pattern, quantity, unit, basis in (
        (r"activ\w* param", "params_active", "parameters", None),
        (r"total param|^#? ?param(eter)?s$|^model size$", "params_total", "parameters", None),
        (r"training tokens|token count|^tokens$", "training_tokens", "tokens", None),
        (r"gpu[ -]?hours", "gpu_hours", "GPU-hours", None),
        (r"location[ -]based.*co2|co2.*location[ -]based", "tco2e", "tCO2e", "location-based"),
        (r"market[ -]based.*co2|co2.*market[ -]based", "tco2e", "tCO2e", "market-based"),
        (r"co2|emissions", "tco2e", "tCO2e", None),
        (r"^gpus$|gpu count|number of gpus", "gpu_count", "GPUs", None),
        (r"^training time$", "training_days", "days", None),
    )
)
_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}
_NUMBER = re.compile(r"^~?\s*(\d[\d,]*(?:\.\d+)?)\s*([kmbt])?(?![a-z])\+?\s*(.*)$", re.IGNORECASE)
_ACCELERATOR = re.compile(r"\b(?:H100|H800|H200|H20|A100|A800|V100|B200|GB200|MI300X|L40S|TPU ?v\d\w*)(?:[-\w]*)", re.IGNORECASE)
_MD = MarkdownIt("commonmark").enable("table")
MAX_TABLES = 200  # a card is capped in size; this caps the work its tables can ask for
_WORD = re.compile(r"[a-z]+")


def _clean(cell: str) -> str:
    cell = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", cell)  # a link's text
    return " ".join(cell.replace("**", "").replace("__", "").split())


class _HtmlTable(HTMLParser):
    """Rows of cell text; a cell with `rowspan` repeats in the rows below it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._span = 1
        self._pending: dict[int, tuple[int, str]] = {}  # column -> (rows left, text)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
            self._fill_spans()
        elif tag in ("td", "th"):
            self._close_cell()
            self._cell, span = [], dict(attrs).get("rowspan") or "1"
            self._span = int(span) if span.isdigit() else 1

    def handle_endtag(self, tag):
        if tag in ("td", "th", "tr", "table"):
            self._close_cell()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def _fill_spans(self) -> None:
        row = self.rows[-1]
        while len(row) in self._pending:
            left, text = self._pending.pop(len(row))
            row.append(text)
            if left > 1:
                self._pending[len(row) - 1] = (left - 1, text)

    def _close_cell(self) -> None:
        if self._cell is None or not self.rows:
            self._cell = None
            return
        text = _clean(" ".join(self._cell))
        row = self.rows[-1]
        if self._span > 1:
            self._pending[len(row)] = (self._span - 1, text)
        row.append(text)
        self._cell, self._span = None, 1
        self._fill_spans()


def tables(body: str) -> list[tuple[list[list[str]], str]]:
    """Every table in a card's body as rows of cell text, each with the text just before it."""
    found: list[tuple[int, list[list[str]]]] = []
    lines = body.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    rows: list[list[str]] | None = None
    start = 0
    for token in _MD.parse(body) if "|" in body else ():  # most cards have no pipe table: skip the parse
        if token.type == "table_open":
            rows, start = [], offsets[token.map[0]] if token.map else 0
        elif token.type == "tr_open" and rows is not None:
            rows.append([])
        elif token.type == "inline" and rows is not None and rows:
            rows[-1].append(_clean(token.content))
        elif token.type == "table_close" and rows is not None:
            found.append((start, rows))
            rows = None
    lower, position = body.lower(), 0
    while len(found) < MAX_TABLES:  # found by index, not by a pattern: linear however many tags are left open
        begin = lower.find("<table", position)
        end = lower.find("</table", begin) if begin >= 0 else -1
        if end < 0:
            break
        parser = _HtmlTable()
        try:
            parser.feed(body[begin:end])
            parser.close()
        except (ValueError, AssertionError):  # a malformed table reads as no table
            pass
        else:
            found.append((begin, [r for r in parser.rows if r]))
        position = end + 1
    return [(grid, body[max(0, start - 800) : start]) for start, grid in sorted(found, key=lambda f: f[0]) if grid]


def quantity_of(heading: str) -> tuple[str, str, str | None] | None:
    label = heading.lower().strip(" :#")
    for pattern, quantity, unit, basis in QUANTITY_HEADINGS:
        if pattern.search(label):
            return quantity, unit, basis
    return None


def magnitude(cell: str, quantity: str) -> tuple[float, str] | None:
    """(value in the quantity's unit, what follows the number): `1.46M` -> 1.46e6, `671B` -> 6.71e11, `15T+` ->
    1.5e13, `2,040` -> 2040, `1920 H100-80G` -> (1920, `H100-80G`), `21 days` -> 21; None when it is no number."""
    match = _NUMBER.match(cell.strip())
    if not match:
        return None
    value = float(match[1].replace(",", "")) * _SCALE.get((match[2] or "").lower(), 1.0)
    rest = match[3].strip()
    if quantity == "training_days" and not re.match(r"^days?\b", rest, re.IGNORECASE):
        return None
    return value, rest


def _family(name: str) -> str | None:
    word = _WORD.search(name.lower())
    return word.group() if word else None


def table_facts(body: str, model_name: str) -> list[dict]:
    """Facts (model_name, quantity, value, unit, basis, accelerator, source) from the tables of one card's body."""
    family = _family(model_name.rsplit("/", 1)[-1])
    facts: dict[tuple, dict] = {}

    def keep(entity: str, heading: str, cell: str, before: str) -> None:
        kind = quantity_of(heading)
        parsed = magnitude(cell, kind[0]) if kind else None
        if not kind or not parsed:
            return
        quantity, unit, basis = kind
        value, rest = parsed
        if value <= 0:  # a table's zero is an offset (market-based CO2) or a blank, not a measurement
            return
        accelerator = None
        if quantity in ("gpu_hours", "gpu_count"):  # the cell (`1920 H100-80G`), else the text above the table
            named = _ACCELERATOR.findall(rest) or _ACCELERATOR.findall(before)
            accelerator = named[-1] if named else None
        facts.setdefault(
            (entity, quantity, basis),
            {
                "model_name": entity,
                "quantity": quantity,
                "value": value,
                "value_raw": cell[:200],
                "unit": unit,
                "basis": basis,
                "accelerator": accelerator,
                "source": f"model card table: {heading[:120]}",
            },
        )

    for grid, before in tables(body):
        width = max(len(r) for r in grid)
        if width == 2 and not quantity_of(grid[0][1] if len(grid[0]) > 1 else ""):  # labels and values: the card's model
            for row in grid:
                if len(row) == 2:
                    keep(model_name, row[0], row[1], before)
            continue
        header, rows = grid[0], grid[1:]
        first = [r[0] if r else "" for r in rows]
        for j, heading in enumerate(header):  # a column per quantity, a row per model
            if j == 0 or not quantity_of(heading):
                continue
            for row, entity in zip(rows, first, strict=True):
                if len(row) > j and _family(entity) == family and first.count(entity) == 1:
                    keep(entity, heading, row[j], before)
        for row in rows:  # a row per quantity, a column per model (DeepSeek's `# Total Params` row)
            label_at = next((k for k, cell in enumerate(row[:2]) if cell), None)
            if label_at is None or not quantity_of(row[label_at]):
                continue
            for j in range(label_at + 1, min(len(row), len(header))):
                entity = header[j]
                if _family(entity) == family and header.count(entity) == 1:
                    keep(entity, row[label_at], row[j], before)
    return list(facts.values())
