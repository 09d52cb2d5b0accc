"""The bench's own Django project: one dashboard plus the baseline views (polling fragment,
Redis pub/sub stream) and a request counter. Configured from the environment per mode."""

# The 7 Stats of dashboards.MultiBefore / MultiAfter (bench/multipush.py). Here, not in
# dashboards.py, so the harness can read it before Django is set up.
MULTI_COMPONENTS = ("orders", "revenue", "visitors", "conversion", "refunds", "latency", "errors")

# The rows of the tables of dashboards.ItemsBefore / ItemsAfter (bench/items.py): their limit.
ITEMS_ROWS = 500
