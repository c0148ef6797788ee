"""Label placement: every point gets a label, and no two labels overlap each other or any point."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.labels import POINT_PX, Box, place_labels
from tests.conftest import examples


def _check(points, width, height):
    placements = place_labels(points, width, height)
    assert len(placements) == len(points)
    boxes = [p.box for p in placements]
    for i, a in enumerate(boxes):
        assert not any(a.overlaps(b) for b in boxes[i + 1 :])
        assert not any(a.overlaps(Box(x - POINT_PX, y - POINT_PX, x + POINT_PX, y + POINT_PX)) for x, y, _ in points)
        assert a.x0 >= 0 and a.y0 >= 0 and a.x1 <= width and a.y1 <= height


def test_a_tight_cluster_is_fully_labelled_without_overlap():
    points = [(300 + i * 3, 200 + (i % 3) * 4, f"DeepSeek-R1-Distill-{i}") for i in range(8)]
    _check(points, 620, 380)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(st.floats(100, 520), st.floats(40, 340), st.text(min_size=1, max_size=14)), max_size=16))
def test_random_scatters_get_non_overlapping_labels(points):
    _check(points, 620, 380)


def test_large_scatters_show_a_sample_that_keeps_the_frontier():
    import numpy as np
    import polars as pl

    from pipeline.charts import MAX_LABELLED_POINTS, display_sample, pareto_frontier

    gen = np.random.default_rng(1)
    n = 20_000
    frame = pl.DataFrame(
        {
            "model": [f"m{i}" for i in range(n)],
            "model_type": gen.choice(["Vanilla", "Distilled"], n),
            "training_flops": 10 ** gen.uniform(20, 26, n),
            "gpqa_diamond": gen.uniform(0, 100, n),
        }
    )
    shown = display_sample(frame, "training_flops", "gpqa_diamond")
    assert shown.height == MAX_LABELLED_POINTS
    frontier = set(pareto_frontier(frame, "training_flops", "gpqa_diamond")["model"])
    assert frontier <= set(shown["model"])
    assert display_sample(frame.head(10), "training_flops", "gpqa_diamond").height == 10
