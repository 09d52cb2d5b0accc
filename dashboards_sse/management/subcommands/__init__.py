"""The larger subcommands of ``manage.py dashboards_sse``, a module each."""
