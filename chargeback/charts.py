"""Bar-chart geometry for inline SVG drawn by the templates (no JavaScript, no external assets)."""

from __future__ import annotations

from decimal import Decimal

WIDTH, HEIGHT, PAD_TOP, PAD_BOTTOM = 720, 180, 12, 22


def bar_chart(points: list[tuple[str, Decimal]], *, width: int = WIDTH, height: int = HEIGHT) -> dict:
    """``points`` as (label, value) → {"bars": [{x, y, w, h, label, value}], "width", "height", "max"}.

    Negative values (credits, refunds) are drawn as zero-height bars; the label still shows the amount.
    """
    if not points:
        return {"bars": [], "width": width, "height": height, "max": Decimal("0"), "baseline": height - PAD_BOTTOM}
    top = max((max(v, Decimal("0")) for _, v in points), default=Decimal("0"))
    usable = height - PAD_TOP - PAD_BOTTOM
    slot = width / len(points)
    bar_w = max(1.0, slot * 0.8)
    bars = []
    for i, (label, value) in enumerate(points):
        h = float(max(value, Decimal("0")) / top) * usable if top > 0 else 0.0
        bars.append(
            {
                "x": round(i * slot + (slot - bar_w) / 2, 2),
                "y": round(height - PAD_BOTTOM - h, 2),
                "w": round(bar_w, 2),
                "h": round(h, 2),
                "label": label,
                "value": value,
                "show_label": len(points) <= 12 or i % max(1, len(points) // 10) == 0,
                "label_x": round(i * slot + slot / 2, 2),
            }
        )
    return {"bars": bars, "width": width, "height": height, "max": top, "baseline": height - PAD_BOTTOM}
