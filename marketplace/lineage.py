"""Lineage as a picture: the layout of a server-rendered inline SVG (upstream → product → downstream).

No JavaScript and nothing from another host: ``lineage_graph`` computes boxes and curves from the edges
``selectors.product_get`` prefetched (which already hides products the viewer may not see), and the
template ``marketplace/_lineage.svg.html`` draws them. External sources are drawn dashed, in grey.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

WIDTH = 760
NODE_W = 200
NODE_H = 38
GAP = 14
PAD = 16
COLUMNS = (PAD, (WIDTH - NODE_W) // 2, WIDTH - NODE_W - PAD)
MAX_LABEL = 26


@dataclass
class Node:
    label: str
    title: str
    kind: str  # "product", "external", "current"
    href: str
    x: int
    y: int
    w: int = NODE_W
    h: int = NODE_H

    @property
    def text_x(self) -> int:
        return self.x + self.w // 2

    @property
    def text_y(self) -> int:
        return self.y + self.h // 2 + 5


@dataclass
class Edge:
    path: str


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _column(ends: list[tuple[str, str, str]], x: int, height: int) -> list[Node]:
    total = len(ends) * NODE_H + max(len(ends) - 1, 0) * GAP
    top = (height - total) // 2
    return [
        Node(label=_short(label), title=label, kind=kind, href=href, x=x, y=top + i * (NODE_H + GAP))
        for i, (label, kind, href) in enumerate(ends)
    ]


def _curve(a: Node, b: Node) -> str:
    x1, y1 = a.x + a.w, a.y + a.h // 2
    x2, y2 = b.x, b.y + b.h // 2
    mid = (x1 + x2) // 2
    return f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"


def lineage_graph(product) -> dict:
    """Nodes and curves for ``product``'s lineage (edges as prefetched by ``selectors.product_get``)."""
    upstream = []
    for edge in product.upstream_edges.all():
        if edge.upstream_id:
            upstream.append((edge.upstream.name, "product", reverse("product_detail", args=[edge.upstream.slug])))
        else:
            upstream.append((edge.external_source, "external", ""))
    downstream = [
        (edge.downstream.name, "product", reverse("product_detail", args=[edge.downstream.slug]))
        for edge in product.downstream_edges.all()
    ]
    rows = max(len(upstream), len(downstream), 1)
    height = rows * NODE_H + (rows - 1) * GAP + 2 * PAD
    current = _column([(product.name, "current", "")], COLUMNS[1], height)[0]
    ups = _column(upstream, COLUMNS[0], height)
    downs = _column(downstream, COLUMNS[2], height)
    edges = [Edge(_curve(node, current)) for node in ups] + [Edge(_curve(current, node)) for node in downs]
    return {
        "width": WIDTH, "height": height, "current": current, "upstream": ups, "downstream": downs,
        "edges": edges, "empty": not ups and not downs,
        "summary": f"{len(ups)} upstream, {len(downs)} downstream",
    }
