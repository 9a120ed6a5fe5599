"""Query-parameter forms for the chargeback pages and REST: each error names the parameter."""

import datetime as dt

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
        return cleaned
