"""Reference data (Jakarta admin areas and offices) and the deterministic demo-day generator.

The GeoJSON sources are read at run time from ``settings.jakarta_data_dir``; nothing is copied here.
"""
