"""manage.py costs_import_focus PATH --scope <CostScope id or name>"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from chargeback.focus.manifest import FocusFormatError
from chargeback.focus.service import focus_import
from chargeback.models import CostScope

BAR_WIDTH = 30


def find_scope(value: str) -> CostScope:
    """The cost scope with id ``value``, else the one named ``value`` (case-insensitively)."""
    value = (value or "").strip()
    if value.isdigit():
        scope = CostScope.objects.select_related("tenant").filter(pk=int(value)).first()
        if scope is not None:
            return scope
    named = list(CostScope.objects.select_related("tenant").filter(name__iexact=value).order_by("pk"))
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        ids = ", ".join(f"{s.pk} ({s.tenant.name})" for s in named)
        raise CommandError(f"--scope: {len(named)} cost scopes are named {value!r}; give the id instead: {ids}.")
    raise CommandError(f"--scope: no cost scope with id or name {value!r}.")


class ProgressBar:
    """A one-line progress bar on the command's stderr (an OutputWrapper), redrawn when the shown figure changes."""

    def __init__(self, stream):
        self.stream = stream
        self.shown = None

    def __call__(self, done: int, total: int | None, label: str) -> None:
        if total:
            percent = min(100, done * 100 // total)
            if percent == self.shown:
                return
            self.shown = percent
            filled = BAR_WIDTH * percent // 100
            line = f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d}% {done:,}/{total:,} rows"
        else:
            step = done // 100_000
            if step == self.shown:
                return
            self.shown = step
            line = f"\r{done:,} rows read"
        self.stream.write(line, ending="")
        self.stream.flush()

    def close(self) -> None:
        if self.shown is not None:
            self.stream.write("")


class Command(BaseCommand):
    help = (
        "Import a Cost Management FOCUS export (a folder with manifest.json and its CSV, gzip CSV or Parquet files) "
        "into a cost scope, replacing the days it covers."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the export run folder (holding manifest.json), or its manifest.json")
        parser.add_argument("--scope", required=True, help="CostScope id or name")
        parser.add_argument("--no-progress", action="store_true", help="do not draw the progress bar on stderr")

    def handle(self, *args, **options):
        scope = find_scope(options["scope"])
        bar = None if options["no_progress"] else ProgressBar(self.stderr)
        try:
            result = focus_import(scope=scope, path=options["path"], on_progress=bar)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        except FocusFormatError as exc:
            raise CommandError(f"Refused, nothing was imported: {exc}") from None
        except ValidationError as exc:
            raise CommandError(f"{scope.name}: {' '.join(exc.messages)}") from None
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(
            f"{scope.name}: {result.rows:,} FOCUS rows from {result.files} files gave {result.records:,} cost rows "
            f"for {result.date_from}..{result.date_to} (replaced {result.replaced:,}; "
            f"{len(result.unmapped)} unmapped tag values)"
        )
        for kind, value in result.unmapped:
            self.stdout.write(f"  unmapped {kind}: {value}")
