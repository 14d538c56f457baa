"""Reference NumPy CNN engine: torch-compatible API, NCHW layout, float64 by default.

The engine knows nothing of questions. ``functional`` holds the stateless ops, ``layers`` the
modules, ``models`` the reference networks, ``shapes`` the closed forms and ``summary`` the
per-layer accounting table.
"""
