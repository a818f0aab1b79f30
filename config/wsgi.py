import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from core import heap  # noqa: E402  (after Django is set up)

heap.settle()  # what the application loaded lives as long as the process: out of every full collection
