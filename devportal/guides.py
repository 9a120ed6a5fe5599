"""Getting-started guides, rendered from Markdown in the repository (docs/guides/*.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

GUIDES = {
    "consumer-getting-started": "For consumers: request → key → first call",
    "graphql-for-portal-developers": "For portal developers: the GraphQL API",
}


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    markdown: str


def guides_dir() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "guides"


def guide_list() -> list[tuple[str, str]]:
    return [(slug, title) for slug, title in GUIDES.items() if (guides_dir() / f"{slug}.md").is_file()]


def guide_get(slug: str) -> Guide | None:
    """One known guide (only the names in GUIDES, never a path from the request)."""
    if slug not in GUIDES:
        return None
    path = guides_dir() / f"{slug}.md"
    if not path.is_file():
        return None
    return Guide(slug, GUIDES[slug], path.read_text(encoding="utf-8"))
