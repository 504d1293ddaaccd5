from django.urls import include, path

urlpatterns = [path("admin/jobs/", include("workhorse.contrib.django.urls"))]
