from __future__ import annotations

from django.conf import settings
from django.db import models


class Store(models.Model):
    """The scope of testapp.store-sales: a stream per store, for its staff."""

    name = models.CharField(max_length=100)
    code = models.SlugField(unique=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True)

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    amount = models.IntegerField(default=0)
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.CASCADE)
