"""Renderers: one module per output format. A renderer knows blocks, choices and kinds, never
family names."""
