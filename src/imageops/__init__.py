"""Thumbnails and metadata of PNG images (placeholder docstring)."""

from .geometry import thumbnail_size
from .thumbnail import DEFAULT_MAX_SIDE, Thumbnail, thumbnail, thumbnail_steps

__all__ = ["DEFAULT_MAX_SIDE", "Thumbnail", "thumbnail", "thumbnail_size", "thumbnail_steps"]
