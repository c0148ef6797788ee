"""Numbers in the tables of a card's body (Markdown and HTML), as the developers print them."""

from __future__ import annotations

import pytest

from pipeline.sources import model_cards
from pipeline.sources.card_tables import MAX_TABLES, magnitude, table_facts, tables
from pipeline.sources.records import Batch
from tests.conftest import realdata

ENERGY_TABLE = """Training used a cumulative 10M GPU hours on H100-80GB hardware, per the table below.

<table>
  <tr><td></td><td><strong>Training Time (GPU hours)</strong></td><td><strong>Location-Based Emissions</strong><p><strong>(tons CO2eq)</strong></td>
      <td><strong>Market-Based Emissions (tons CO2eq)</strong></td></tr>
  <tr><td>Zeta 2 7B</td><td>1.2M</td><td>350</td><td>0</td></tr>
  <tr><td>Zeta 2 70B</td><td>8.8M</td><td>2,500</td><td>0</td></tr>
  <tr><td>Total</td><td>10M</td><td>2,850</td><td>0</td></tr>
</table>

<table>
  <tr><td></td><td>Params</td><td>Token count</td></tr>
  <tr><td rowspan="2">Zeta 2 (text)</td><td>7B</td><td rowspan="2">12T+</td></tr>
  <tr><td>70B</td></tr>
</table>
"""

SUMMARY_TABLES = """
| **Model** | **#Total Params** | **#Activated Params** | **Context Length** |
| :---: | :---: | :---: | :---: |
| Omega-2-Base | 400B | 30B | 128K |
| Omega-2 | 400B | 30B | 128K |

|  | Benchmark (Metric) | Omega-1 | Other 70B | Omega-2 |
|---|---|---|---|---|
| | # Activated Params | 20B | 70B | 30B |
| | MMLU (Acc.) | 70.1 | 80.2 | 85.3 |
"""

KEY_VALUES = """
| | |
|---|---|
| **Parameters** | 14B parameters |
| **Training tokens** | 9.8T tokens |
| **GPUs** | 1920 H100-80G |
| **Training time** | 21 days |
| **Context length** | 16K tokens |
"""


def _facts(body, model):
    return {(f["model_name"], f["quantity"], f["basis"]): f for f in table_facts(body, model)}


def test_an_html_energy_table_gives_each_named_models_hours_and_location_based_emissions():
    facts = _facts(ENERGY_TABLE, "zeta-ai/Zeta-2-7B-Instruct")
    assert facts[("Zeta 2 7B", "gpu_hours", None)]["value"] == 1.2e6
    assert facts[("Zeta 2 7B", "gpu_hours", None)]["accelerator"] == "H100-80GB"  # named in the text above the table
    assert facts[("Zeta 2 70B", "tco2e", "location-based")]["value"] == 2500
    assert not any(k[0] in ("Total", "Zeta 2 (text)") for k in facts)  # not a model; a name spanning two sizes
    assert not any(k[2] == "market-based" for k in facts)  # a zero is an offset, not a measurement


def test_markdown_tables_by_column_and_by_row_keep_only_the_cards_own_family():
    facts = _facts(SUMMARY_TABLES, "omega-lab/Omega-2")
    assert facts[("Omega-2-Base", "params_total", None)]["value"] == 4e11
    assert facts[("Omega-2", "params_active", None)]["value"] == 3e10
    assert facts[("Omega-1", "params_active", None)]["value"] == 2e10  # the developer's earlier model, by row
    assert not any(k[0] == "Other 70B" for k in facts)  # a model it is compared with is another developer's
    assert all(f["source"].startswith("model card table: ") for f in facts.values())


def test_a_key_value_table_is_about_the_cards_own_model():
    facts = _facts(KEY_VALUES, "acme/phi-like")
    assert {(k[1], f["value"]) for k, f in facts.items()} == {
        ("params_total", 1.4e10),
        ("training_tokens", 9.8e12),
        ("gpu_count", 1920),
        ("training_days", 21),
    }
    assert facts[("acme/phi-like", "gpu_count", None)]["accelerator"] == "H100-80G"


@pytest.mark.parametrize(
    "cell, quantity, expected",
    [
        ("1.46M", "gpu_hours", 1.46e6),
        ("671B", "params_total", 6.71e11),
        ("15T+", "training_tokens", 1.5e13),
        ("2,040", "tco2e", 2040),
        ("21 days", "training_days", 21),
        ("3 weeks", "training_days", None),
        ("A new mix of data", "training_tokens", None),
        ("128K", "params_total", 1.28e5),
    ],
)
def test_magnitudes(cell, quantity, expected):
    parsed = magnitude(cell, quantity)
    assert (parsed[0] if parsed else None) == (pytest.approx(expected) if expected else None)


def test_tables_left_open_give_nothing_and_at_most_max_tables_are_read():
    assert tables("<table><tr><td>x" * 20_000) == []  # no closing tag: nothing read
    many = "<table><tr><td>a</td><td>b</td></tr></table>\n" * (MAX_TABLES + 50)
    assert len(tables(many)) == MAX_TABLES


def test_a_card_body_table_becomes_reported_facts_with_the_table_as_source():
    batch = Batch("cards")
    model_cards.parse_card(("---\nlicense: mit\n---\n" + KEY_VALUES).encode(), "acme__phi-like.md", batch)
    facts = {f["quantity"]: f for f in batch.facts}
    assert facts["training_tokens"]["kind"] == "reported" and facts["training_tokens"]["model_name"] == "acme/phi-like"
    assert facts["training_tokens"]["url"] == "https://huggingface.co/acme/phi-like"


def test_metas_real_card_gives_its_training_hours_and_emissions():
    card = realdata("model_cards", "meta-llama__Llama-3.1-8B-Instruct.md")
    batch = Batch("cards")
    model_cards.parse_card(card.read_bytes(), card.name, batch)
    facts = {(f["model_name"], f["quantity"]): f for f in batch.facts}
    # figures for the family's other models are filed under the card's organisation, for resolution to check
    eight = facts[("meta-llama/Llama 3.1 8B", "gpu_hours")]
    assert eight["value"] == 1.46e6 and eight["accelerator"] == "H100-80GB"
    big = facts[("meta-llama/Llama 3.1 405B", "tco2e")]
    assert big["value"] == 8930 and big["basis"] == "location-based"
