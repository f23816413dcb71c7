"""Which days an office is open: Indonesia's national holidays and cuti bersama, plus office-configured days."""
