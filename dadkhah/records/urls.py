from django.urls import path

from dadkhah.records import views

app_name = "records"
urlpatterns = [
    path("", views.home, name="home"),
]
