"""manage.py product_import_contract FILE --domain SLUG --actor EMAIL"""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from domains.selectors import domain_get
from marketplace.contracts import MAX_CONTRACT_BYTES, error_lines
from marketplace.services.contracts import product_import_contract


class Command(BaseCommand):
    help = "Create a draft data product from an ODCS (v3.0) contract, or update the draft product it names."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the contract (YAML); - reads standard input")
        parser.add_argument("--domain", required=True, help="slug of the domain to import into")
        parser.add_argument("--actor", required=True, help="e-mail of the person importing (an editor of the domain)")

    def handle(self, *args, **options):
        actor = get_user_model().objects.filter(email__iexact=options["actor"].strip(), is_active=True).first()
        if actor is None:
            raise CommandError(f"--actor: no active user with e-mail {options['actor']!r}.")
        try:
            domain = domain_get(actor=actor, slug=options["domain"])
        except Http404:
            raise CommandError(f"--domain: no domain {options['domain']!r} that {actor.email} can see.") from None
        if options["file"] == "-":
            text = sys.stdin.read()
        else:
            path = Path(options["file"])
            if not path.is_file():
                raise CommandError(f"FILE: {path} does not exist or is not a file.")
            if path.stat().st_size > MAX_CONTRACT_BYTES:
                raise CommandError(f"FILE: {path} is larger than {MAX_CONTRACT_BYTES // 1000} kB.")
            text = path.read_bytes()
        try:
            result = product_import_contract(actor=actor, domain=domain, contract=text)
        except ValidationError as exc:
            raise CommandError("The contract was refused; nothing was saved:\n  " + "\n  ".join(error_lines(exc))) from None
        except PermissionError as exc:
            raise CommandError(f"--actor: {exc}") from None
        verb = "Created" if result.created else "Updated"
        self.stdout.write(f"{verb} draft product {result.product.slug} ({result.product.columns.count()} columns) "
                          f"in {domain.slug}.")
        for warning in result.skipped:
            self.stderr.write(f"warning: {warning}")
