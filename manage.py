#!/usr/bin/env python
import os
import sys

HELP_FLAGS = {"-h", "--help", "help", "--version"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if HELP_FLAGS & set(sys.argv[1:]) and not os.environ.get("SECRET_KEY"):
        # Help never needs the real settings: without a .env (before `make demo` wrote one) a help
        # request must still print, not fail on the missing SECRET_KEY. Nothing is served or signed.
        os.environ["SECRET_KEY"] = "help-only-never-used"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
