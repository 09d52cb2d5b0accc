"""The bench's own Django project: one dashboard plus the baseline views (polling fragment,
Redis pub/sub stream) and a request counter. Configured from the environment per mode."""
