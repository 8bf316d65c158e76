"""Loket: a live chat server for webshops, with agents when staffed and a learning FAQ bot."""

__version__ = "0.1.0"
