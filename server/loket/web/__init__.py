"""HTTP: login, the admin API, static files, health and metrics."""
