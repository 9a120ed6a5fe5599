"""FOCUS exports from Cost Management: the large-scale cost import path (see service.focus_import)."""
