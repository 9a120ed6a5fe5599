from django import forms
from django.core.validators import MaxValueValidator

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



class ContractImportForm(forms.Form):
    """Upload an ODCS contract (YAML) into one of the domains the editor looks after."""

    domain = forms.ChoiceField()
    contract = forms.FileField(help_text="An Open Data Contract Standard (ODCS v3.0) YAML file, at most 1 MB.")

    def __init__(self, *args, domains=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = [(d.slug, d.name) for d in domains]


# --- Access --------------------------------------------------------------------------------------


class AccessRequestForm(forms.Form):
    """Purpose, duration and, for each scopable column, the values wanted (comma-separated) or all rows."""

    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                              help_text="What you will use the data for; the stewards read this.")
    duration_days = forms.IntegerField(min_value=1, initial=30, label="Duration (days)")
    all_rows = forms.BooleanField(required=False, label="All rows")

    def __init__(self, *args, product, scopable, max_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        self.fields["duration_days"].max_value = max_days
        self.fields["duration_days"].widget.attrs["max"] = max_days
        self.fields["duration_days"].help_text = f"At most {max_days} days for {product.get_sensitivity_display()} data."
        self.fields["duration_days"].validators.append(MaxValueValidator(max_days))
        if not product.all_rows_requestable or not scopable:
            del self.fields["all_rows"]
        self.scope_fields = []
        for column in scopable:
            name = f"scope_{column.name}"
            self.fields[name] = forms.CharField(
                required=False, max_length=4000, label=f"{column.name} values",
                help_text="Comma-separated values, e.g. EMEA, APAC. Leave empty to not scope by this column.",
            )
            self.scope_fields.append((column.name, name))

    def clean(self):
        cleaned = super().clean()
        chosen = {column: self._values(cleaned.get(name, "")) for column, name in self.scope_fields}
        chosen = {c: v for c, v in chosen.items() if v}
        if cleaned.get("all_rows") and chosen:
            raise forms.ValidationError("Choose either all rows or values for columns, not both.")
        if self.scope_fields and not chosen and not cleaned.get("all_rows"):
            raise forms.ValidationError("Give values for at least one column" + (
                " or tick All rows." if "all_rows" in self.fields else "."))
        cleaned["scope"] = chosen
        return cleaned

    @staticmethod
    def _values(text: str) -> list[str]:
        return [v.strip() for v in (text or "").split(",") if v.strip()]

    def scope(self) -> dict:
        return self.cleaned_data["scope"]


class AccessDecisionForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Required to deny; optional note when approving.")


class GrantRenewForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=365)


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Open")] + [
        ("requested", "Requested"), ("approved", "Approved"), ("denied", "Denied"), ("withdrawn", "Withdrawn")])
    domain = forms.SlugField(required=False, max_length=80)
    product = forms.SlugField(required=False, max_length=120)
