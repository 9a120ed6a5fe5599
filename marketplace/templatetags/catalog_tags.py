"""``{% domain_products domain %}``: the domain page's "Data products" section, without domains importing us."""

from django import template
from django.utils.html import strip_tags

from marketplace import selectors
from marketplace.rendering import render_markdown

register = template.Library()


@register.inclusion_tag("marketplace/_domain_products.html", takes_context=True)
def domain_products(context, domain):
    request = context.get("request")
    user = getattr(request, "user", None)
    products = selectors.domain_products(actor=user, domain_id=domain.pk) if user is not None else []
    return {"products": products, "domain": domain}


@register.filter
def markdown_text(text: str) -> str:
    """A description's Markdown as plain text (for result cards)."""
    return strip_tags(render_markdown(text))
