#!/usr/bin/env python
"""Django's command-line utility for Loom Portal."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loom_portal.settings")
    from django.core.management import execute_from_command_line

    from loom_portal.config import ConfigError

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
