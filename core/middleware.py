"""Middleware that must run before everything else."""

from .views import healthz


class HealthCheckMiddleware:
    """Answer /healthz before host validation and HTTPS redirects.

    Load balancers and the container HEALTHCHECK call it by IP over plain HTTP,
    which ALLOWED_HOSTS and SECURE_SSL_REDIRECT would otherwise refuse.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        return self.get_response(request)
