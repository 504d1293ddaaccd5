"""The workhorse web dashboard (``pip install 'workhorse[web]'``).

A Starlette application: run it with ``workhorse web``, or mount it in your
own ASGI app (``Mount("/jobs", create_app(...))``) or WSGI app
(``wsgi_app(...)``). Plugins add tabs through :mod:`workhorse.web.tabs`.
"""

from workhorse.web.app import create_app, wsgi_app
from workhorse.web.auth import BasicAuth
from workhorse.web.options import Authorizer, DashboardOptions
from workhorse.web.tabs import DashboardTab

__all__ = ["Authorizer", "BasicAuth", "DashboardOptions", "DashboardTab", "create_app", "wsgi_app"]
