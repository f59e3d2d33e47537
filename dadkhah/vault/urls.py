from django.urls import path

from dadkhah.vault import views

app_name = "vault"
urlpatterns = [
    path("", views.item_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("items/<slug:uid>/", views.item_detail, name="item"),
    path("items/<slug:uid>/extraction/", views.extraction, name="extraction"),
    path("items/<slug:uid>/extract/", views.extract_again, name="extract_again"),
    path("items/<slug:uid>/preview/", views.preview, name="preview"),
    path("items/<slug:uid>/download/", views.download, name="download"),
]
