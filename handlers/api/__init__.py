"""The JSON API at /api/v1 (token or console-session authentication) and its OpenAPI document."""

from handlers.api.app import setup_api

__all__ = ["setup_api"]
