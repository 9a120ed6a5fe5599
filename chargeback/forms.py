"""Query-parameter forms for the chargeback pages and REST: each error names the parameter."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone

from chargeback.choices import Granularity, GroupBy

MAX_DAYS = 3 * 366


def first_of_month(day: dt.date, months_back: int = 0) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months_back
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


def last_of_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


class _Period(forms.Form):
    """``from`` and ``to`` (request names) mapped onto date_from/date_to."""

    PARAMS = {"from": "date_from", "to": "date_to"}
    input_formats: list[str] = ["%Y-%m-%d"]
    example = "YYYY-MM-DD"

    def __init__(self, params, **kwargs):
        data = {field: (params.get(name) or "").strip() for name, field in self.PARAMS.items()}
        for name in params:
            if name not in self.PARAMS and name in self.base_fields:
                data[name] = (params.get(name) or "").strip()
        super().__init__(data, **kwargs)
        for name, field in self.PARAMS.items():
            self.fields[field] = forms.DateField(required=False, input_formats=self.input_formats)
            self.fields[field].error_messages["invalid"] = f"{name}: expected a date as {self.example}."

    def default_period(self) -> tuple[dt.date, dt.date]:
        today = timezone.now().date()
        return first_of_month(today, 5), today

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        default_from, default_to = self.default_period()
        date_from = cleaned.get("date_from") or default_from
        date_to = cleaned.get("date_to") or default_to
        if date_from > date_to:
            self.add_error("date_from", f"from: {date_from} is after to ({date_to}).")
        elif (date_to - date_from).days > MAX_DAYS:
            self.add_error("date_from", f"from: the period may span at most {MAX_DAYS} days.")
        cleaned["date_from"], cleaned["date_to"] = date_from, date_to
        return cleaned

    @property
    def param_errors(self) -> dict:
        """Errors keyed by the request parameter names (from, to, group_by, ...)."""
        names = {field: name for name, field in self.PARAMS.items()}
        return {names.get(k, k): [str(m) for m in v] for k, v in self.errors.items()}


class MonthPeriodForm(_Period):
    """The matrix pages: whole months, ``from``/``to`` as YYYY-MM (a full date is accepted too)."""

    input_formats = ["%Y-%m", "%Y-%m-%d"]
    example = "YYYY-MM"

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            cleaned["date_from"] = cleaned["date_from"].replace(day=1)
            cleaned["date_to"] = last_of_month(cleaned["date_to"])
        return cleaned


class CostQueryForm(_Period):
    """GET /api/v1/chargeback/costs?group_by=domain|workspace&granularity=day|month&from=&to="""

    group_by = forms.ChoiceField(choices=GroupBy.choices, required=False)
    granularity = forms.ChoiceField(choices=Granularity.choices, required=False)

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.fields["group_by"].error_messages["invalid_choice"] = (
            f"group_by: expected one of {', '.join(GroupBy.values)}."
        )
        self.fields["granularity"].error_messages["invalid_choice"] = (
            f"granularity: expected one of {', '.join(Granularity.values)}."
        )

    def default_period(self):
        today = timezone.now().date()
        return first_of_month(today, 2), today

    def clean(self):
        cleaned = super().clean()
        cleaned["group_by"] = cleaned.get("group_by") or GroupBy.DOMAIN
        cleaned["granularity"] = cleaned.get("granularity") or Granularity.MONTH
        if cleaned["group_by"] == GroupBy.PRODUCT and cleaned["granularity"] != Granularity.MONTH:
            self.add_error("granularity", "granularity: group_by=product is reported by month.")
        return cleaned


class BudgetForm(forms.Form):
    """The finance budget form. It only parses; the budget services validate and name any bad field."""

    name = forms.CharField(max_length=63, help_text="Also the Azure budget name: letters, digits, - and _.")
    cost_scope = forms.ModelChoiceField(queryset=None, help_text="The Azure scope the budget is created at.")
    domain = forms.ModelChoiceField(queryset=None, required=False, help_text="A domain, or")
    workspace = forms.ModelChoiceField(queryset=None, required=False, help_text="a workspace.")
    amount = forms.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.CharField(max_length=3, initial="USD")
    start_date = forms.DateField(help_text="The first day of a month (YYYY-MM-DD).")
    end_date = forms.DateField(required=False, help_text="Optional last day.")
    thresholds = forms.CharField(
        initial="Actual 80, Actual 100, Forecasted 100",
        help_text="Comma-separated: Actual or Forecasted, then a percentage.",
    )
    contact_emails = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="One or more.")
    contact_groups = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Azure Monitor action group ids (optional)."
    )

    def __init__(self, *args, cost_scopes, domains, workspaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cost_scope"].queryset = cost_scopes
        self.fields["domain"].queryset = domains
        self.fields["workspace"].queryset = workspaces

    def clean_thresholds(self):
        items = []
        for n, part in enumerate([p.strip() for p in self.cleaned_data["thresholds"].split(",") if p.strip()], start=1):
            words = part.replace("%", " ").split()
            if len(words) != 2 or not words[1].isdigit():
                raise forms.ValidationError(f"Threshold {n} ({part!r}): write e.g. 'Actual 80' or 'Forecasted 100'.")
            items.append({"type": words[0].capitalize(), "percent": int(words[1])})
        return items

    @staticmethod
    def initial_from(budget) -> dict:
        return {
            "name": budget.name, "cost_scope": budget.cost_scope_id, "domain": budget.domain_id,
            "workspace": budget.workspace_id, "amount": budget.amount, "currency": budget.currency,
            "start_date": budget.start_date, "end_date": budget.end_date,
            "thresholds": ", ".join(f"{t['type']} {t['percent']}" for t in budget.thresholds),
            "contact_emails": "\n".join(budget.contact_emails), "contact_groups": "\n".join(budget.contact_groups),
        }
