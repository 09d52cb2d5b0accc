"""django-dashboards dashboards with SSE components (installed only with django-dashboards)."""
