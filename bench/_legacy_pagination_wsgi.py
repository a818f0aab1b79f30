"""The API as it paged before issue 26, for bench/api_bench.py's baseline: the order list with DRF's
PageNumberPagination (a COUNT(*) of every matching row and an OFFSET on every page), same code otherwise.
Served by gunicorn as `_legacy_pagination_wsgi:application` with `--pythonpath bench`."""

from importlib import import_module

from config.wsgi import application  # noqa: F401  (sets Django up, then the views can be imported)

import_module("api.views").OrderViewSet.pagination_class = import_module("api.plumbing").Pagination
