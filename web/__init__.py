"""HTTP: the Flask app factory, auth guards, one blueprint module per API area and dialect."""

from web.app import create_app

__all__ = ["create_app"]
