from django import forms

from loom_portal.choices import SensitivityLabel
from marketplace.choices import Freshness, ProductKind, ProductSort


def _blank(choices):
    return [("", "Any")] + list(choices)


class ProductSearchForm(forms.Form):
    """The catalog's query string, shared by the page and REST: bad values are errors naming the field."""

    search = forms.CharField(required=False, max_length=200, strip=True)
    domain = forms.SlugField(required=False, max_length=80)
    kind = forms.ChoiceField(required=False, choices=_blank(ProductKind.choices))
    sensitivity = forms.ChoiceField(required=False, choices=_blank(SensitivityLabel.choices))
    tag = forms.CharField(required=False, max_length=60, strip=True)
    freshness = forms.ChoiceField(required=False, choices=_blank(Freshness.choices))
    owner = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    sort = forms.ChoiceField(required=False, choices=_blank(ProductSort.choices))
    page = forms.IntegerField(required=False, min_value=1, max_value=100000)

    FILTERS = ("search", "domain", "kind", "sensitivity", "tag", "freshness", "owner", "sort")

    def filters(self) -> dict:
        return {name: self.cleaned_data.get(name) or ("" if name != "owner" else None) for name in self.FILTERS}

