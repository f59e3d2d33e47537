from django.urls import path

from dadkhah.search import viewer, views

app_name = "search"
urlpatterns = [
    path("", views.search_page, name="search"),
    path("documents/<slug:uid>/", viewer.document, name="document"),
    path("documents/<slug:uid>/pages/<int:number>/image/", viewer.page_image, name="page_image"),
    path("documents/<slug:uid>/cite/", viewer.cite, name="cite"),
    path("mentions/<int:mention_id>/decide/", viewer.decide, name="decide"),
]
