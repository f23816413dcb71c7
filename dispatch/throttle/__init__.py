"""Rate limits for the public endpoints and logins, counted with the ``limits`` library across workers."""
