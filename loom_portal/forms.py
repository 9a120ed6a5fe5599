from django import forms


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “nightly export script”.")
    lifetime_days = forms.TypedChoiceField(
        coerce=int, choices=[(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "1 year")], initial=90,
        label="Expires after",
    )
