"""Sign-in lock-out per (username, IP) as before, and per IP alone with a higher limit (issue 14): one
password sprayed over many usernames from one address is slowed too.

django-axes counts failures for each combination in AXES_LOCKOUT_PARAMETERS and compares the largest
with one AXES_FAILURE_LIMIT; this handler lets the IP-wide count reach LOGIN_IP_FAILURE_LIMIT first.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum

LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]  # this order: pair first, then IP alone


class LoginLimitHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        per_pair, per_ip = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if per_ip >= settings.LOGIN_IP_FAILURE_LIMIT:
            return max(per_pair, settings.AXES_FAILURE_LIMIT)
        return per_pair
