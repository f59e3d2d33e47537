from django.contrib import admin
from django.urls import include, path

from dadkhah.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("vault/", include("dadkhah.vault.urls")),
    path("counting/", include("dadkhah.counting.urls")),
    path("search/", include("dadkhah.search.urls")),
    path("linkage/", include("dadkhah.linkage.urls")),
    path("", include("dadkhah.records.urls")),
]
