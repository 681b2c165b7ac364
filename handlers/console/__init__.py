"""The staff console at /console: server-rendered pages (aiohttp-jinja2, autoescape on)."""

from handlers.console.app import setup_console

__all__ = ["setup_console"]
