"""The bench's one model: the objects of the scoped dashboard of bench/scoped.py (a stream per
shop). Rows are bulk-inserted by the bench; nothing else reads them."""

from __future__ import annotations

from django.db import models


class Shop(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name
