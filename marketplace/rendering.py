"""Safe Markdown: product descriptions are rendered with ``markdown`` and cleaned with ``nh3``.

Raw HTML, scripts, event handlers and images (which could load from another host) are removed;
links get ``rel="noopener noreferrer"``.
"""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


def render_markdown(text: str) -> SafeString:
    html = markdown.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - cleaned by nh3 with an allow-list just above


def usage_bars(points: list[dict], *, width: int = 300, height: int = 60) -> list[dict]:
    """Bar geometry for the product page's usage chart (inline SVG, drawn by the portal: no chart library)."""
    peak = max((p["calls"] for p in points), default=0) or 1
    step = width / max(len(points), 1)
    bars = []
    for i, point in enumerate(points):
        h = round(point["calls"] / peak * (height - 2), 1)
        bars.append({"x": round(i * step, 1), "y": round(height - h, 1), "w": round(max(step - 1, 1), 1), "h": h,
                     "day": point["day"], "calls": point["calls"]})
    return bars
