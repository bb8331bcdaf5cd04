"""Small server-drawn SVG charts: no script, readable with the CSS off, and each comes with
a data table (the accessible alternative) in the page."""

from typing import Any


def line_chart(
    points: list[tuple[str, float]], low: float, high: float, bands: list[dict[str, Any]]
) -> dict[str, Any]:
    width, height, pad = 560, 220, 36
    span = (high - low) or 1
    n = len(points)

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * ((v - low) / span)

    coords = [(round(x(i), 1), round(y(v), 1), label, v) for i, (label, v) in enumerate(points)]
    shaded = [
        {
            "y": round(y(min(b["max"], high)), 1),
            "h": round(y(b["min"]) - y(min(b["max"], high)), 1),
            "label": b["label"],
        }
        for b in bands
    ]
    return {
        "width": width,
        "height": height,
        "pad": pad,
        "path": " ".join(f"{cx},{cy}" for cx, cy, _, _ in coords),
        "points": coords,
        "bands": shaded,
        "low": low,
        "high": high,
        "y_low": y(low),
        "y_high": y(high),
    }


def plane(points: list[tuple[str, float, float]]) -> dict[str, Any]:
    """ECR-R: anxiety (y) by avoidance (x), both 1-7; earlier results form a trail."""
    size, pad = 320, 36

    def pos(v: float) -> float:
        return pad + (size - 2 * pad) * ((v - 1) / 6)

    coords = [
        {
            "x": round(pos(avoid), 1),
            "y": round(size - pos(anx), 1),
            "label": label,
            "anx": anx,
            "avoid": avoid,
        }
        for label, anx, avoid in points
    ]
    return {
        "size": size,
        "pad": pad,
        "mid": round(pos(4), 1),
        "mid_y": round(size - pos(4), 1),
        "trail": " ".join(f"{c['x']},{c['y']}" for c in coords),
        "points": coords,
    }
