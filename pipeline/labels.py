"""Label placement for scatter plots: every point labelled, no two labels overlapping.

Vega-Lite has no label-collision avoidance, so positions are chosen here in pixel space: for each
point (most crowded first) the first candidate offset, spiralling outwards, whose text box overlaps
no placed label, no point and stays inside the plot. Pure and deterministic, so it is testable.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

CHAR_PX = 6.0  # average glyph width at the label font size (10 px DejaVu Sans)
LINE_PX = 12.0
POINT_PX = 6.0  # radius kept clear around every point


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


@dataclass(frozen=True)
class Placement:
    x: float  # anchor of the text, pixels
    y: float
    align: str  # left | right | center
    box: Box
    moved: bool  # placed away from its point (draw a leader line)


def text_box(x: float, y: float, align: str, text: str) -> Box:
    width = CHAR_PX * len(text)
    x0 = x if align == "left" else x - width if align == "right" else x - width / 2
    return Box(x0, y - LINE_PX / 2, x0 + width, y + LINE_PX / 2)


def _candidates():
    yield 8, 0, "left", False
    yield -8, 0, "right", False
    yield 0, -12, "center", False
    yield 0, 12, "center", False
    for radius in range(14, 200, 8):
        for angle in range(0, 360, 30):
            dx, dy = radius * math.cos(math.radians(angle)), radius * math.sin(math.radians(angle))
            align = "left" if dx > 4 else "right" if dx < -4 else "center"
            yield dx, dy, align, True


def polyline_boxes(path: list[tuple[float, float]], step: float = 4.0, pad: float = 2.0) -> list[Box]:
    """Small boxes along a line (e.g. a frontier drawn on the chart) so that labels keep off it."""
    boxes = []
    for (x0, y0), (x1, y1) in itertools.pairwise(path):
        count = max(1, int(math.hypot(x1 - x0, y1 - y0) / step))
        for i in range(count + 1):
            x, y = x0 + (x1 - x0) * i / count, y0 + (y1 - y0) * i / count
            boxes.append(Box(x - pad, y - pad, x + pad, y + pad))
    return boxes


def place_labels(
    points: list[tuple[float, float, str]], width: float, height: float, obstacles: list[Box] | None = None
) -> list[Placement]:
    """Placements in the order of `points` (x, y in pixels from the top left, text); labels also keep
    clear of `obstacles`."""
    clear = [Box(x - POINT_PX, y - POINT_PX, x + POINT_PX, y + POINT_PX) for x, y, _ in points] + list(obstacles or [])
    crowding = [sum(1 for ox, oy, _ in points if abs(ox - x) < 80 and abs(oy - y) < 40) for x, y, _ in points]
    placed: dict[int, Placement] = {}
    for index in sorted(range(len(points)), key=lambda i: (-crowding[i], i)):
        x, y, text = points[index]
        best = None
        for dx, dy, align, moved in _candidates():
            box = text_box(x + dx, y + dy, align, text)
            inside = box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height
            free = inside and not any(box.overlaps(p.box) for p in placed.values()) and not any(box.overlaps(c) for c in clear)
            if free:
                best = Placement(x + dx, y + dy, align, box, moved)
                break
        if best is None:  # nowhere free: the right-hand side, and say so by moving it
            best = Placement(x + 8, y, "left", text_box(x + 8, y, "left", text), True)
        placed[index] = best
    return [placed[i] for i in range(len(points))]
