"""``path("admin/jobs/", include("workhorse.contrib.django.urls"))``: the dashboard."""

from django.urls import path, re_path

from workhorse.contrib.django.views import dashboard

app_name = "workhorse"
urlpatterns = [
    path("", dashboard, name="dashboard"),
    re_path(r"^(?P<rest>.+)$", dashboard, name="dashboard-page"),
]
