from django import forms

from domains.choices import DomainRole


class DomainRoleForm(forms.Form):
    """Assign or remove a steward/owner by email, on the domain page."""

    email = forms.EmailField(label="Person's email")
    role = forms.ChoiceField(choices=DomainRole.choices)
