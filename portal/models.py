"""The portal's own rows: a tenant's sign-in rule (two-factor required for its team)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from stores.models import Tenant


class TwoFactorPolicy(models.Model):
    """A tenant whose owner requires two-factor sign-in: its members open no portal page until enrolled
    (portal.twofactor). No row: not required."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True, related_name="two_factor")
    required = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.tenant}: two-factor {'required' if self.required else 'optional'}"
