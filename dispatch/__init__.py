"""AJIB domain: offices, jobs, planning, custody, tracking, notifications, users (no web framework)."""
