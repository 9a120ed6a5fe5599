from django import forms


class ExposeForm(forms.Form):
    """Expose a product as an API on one of the tenant's tiers."""

    tier = forms.ModelChoiceField(queryset=None, empty_label=None, help_text="Rate limit and quota of the API.")

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = tiers


class RegenerateForm(forms.Form):
    which = forms.ChoiceField(choices=[("primary", "Primary key"), ("secondary", "Secondary key")])
