from __future__ import annotations

from django.db import models


class Order(models.Model):
    amount = models.IntegerField(default=0)
