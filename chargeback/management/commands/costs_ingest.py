"""manage.py costs_ingest --scope ID [--from YYYY-MM-DD] [--to YYYY-MM-DD] | --all"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from chargeback import services
from chargeback.models import CostScope


def _day(option: str, value: str | None):
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--{option}: expected a date as YYYY-MM-DD, got {value!r}.") from None


class Command(BaseCommand):
    help = "Pull daily Azure cost for one cost scope (or every enabled one) and replace the window."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--scope", type=int, help="CostScope id")
        target.add_argument("--all", action="store_true", help="every enabled scope")
        parser.add_argument("--from", dest="date_from", help="first day (default: trailing restated days)")
        parser.add_argument("--to", dest="date_to", help="last day (default: yesterday)")

    def handle(self, *args, **options):
        date_from = _day("from", options["date_from"])
        date_to = _day("to", options["date_to"])
        if options["all"]:
            scopes = list(CostScope.objects.filter(enabled=True).select_related("tenant"))
        else:
            scopes = list(CostScope.objects.filter(pk=options["scope"]).select_related("tenant"))
            if not scopes:
                raise CommandError(f"--scope: no cost scope with id {options['scope']}.")
        for scope in scopes:
            try:
                result = services.costs_ingest(scope=scope, date_from=date_from, date_to=date_to)
            except ValidationError as exc:
                raise CommandError(f"{scope.name}: {' '.join(exc.messages)}") from None
            self.stdout.write(
                f"{scope.name}: {result.records} cost rows for {result.date_from}..{result.date_to} "
                f"({result.pages} pages, {len(result.unmapped)} unmapped tag values)"
            )
