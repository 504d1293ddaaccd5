from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/jobs/", include("workhorse.contrib.django.urls")),
    path("admin/", admin.site.urls),
]
