from django.urls import path

from dadkhah.dossiers import views

app_name = "dossiers"

urlpatterns = [
    path("<str:kind>/<slug:uid>/", views.dossier, name="dossier"),
]
