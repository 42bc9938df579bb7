"""The web side: operations endpoints (and, with the web server branch, pages)."""
