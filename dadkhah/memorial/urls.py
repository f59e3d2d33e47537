"""URLs of the public memorial.

``urlpatterns`` are mounted inside ``i18n_patterns`` by ``dadkhah/urls.py``, so every
public page exists as /en/… and /fa/…. ``staff_urlpatterns`` (the publication review)
and ``root_urlpatterns`` (sitemap.xml, robots.txt) are mounted without a prefix.
"""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from dadkhah.memorial import contribute, contributions_review, views, views_map
from dadkhah.memorial.sitemaps import SITEMAPS

app_name = "memorial"

urlpatterns = [
    # --- site: home, victims, search, about ---------------------------------------
    path("", views.home, name="home"),
    path("victims/", views.victim_list, name="victims"),
    path("victims/<slug:uid>/", views.victim_detail, name="victim"),
    path("victims/<slug:uid>/photo/", views.victim_photo, name="victim_photo"),
    path("about/", views.about, name="about"),
    # --- map, timeline, count (the map pages add their paths below this line) -------
    path("map/", views_map.map_page, name="map"),
    path("map/places.geojson", views_map.places_geojson, name="places_geojson"),
    path("map/images/<slug:uid>/", views_map.map_image, name="map_image"),
    path("timeline/", views_map.timeline_page, name="timeline"),
    path("count/", views_map.count_page, name="count"),
    # --- contributions (public form; the staff queue is below) ------------------------
    path("contribute/", contribute.contribute, name="contribute"),
    path("contribute/thanks/", contribute.contribute_done, name="contribute_done"),
    path("contribute/challenge/", contribute.challenge, name="contribute_challenge"),
]

# Mounted at /memorial/review/ (namespace "memorial_staff").
staff_urlpatterns = [
    path("", views.review_list, name="review"),
    path("contributions/", contributions_review.queue, name="contributions"),
    path("contributions/<slug:uid>/", contributions_review.detail, name="contribution"),
    path("<slug:uid>/", views.review_edit, name="review_edit"),
]

# Mounted at / (namespace "memorial_root").
root_urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots, name="robots"),
]
