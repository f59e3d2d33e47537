from django.urls import path

from dadkhah.linkage import views

app_name = "linkage"
urlpatterns = [
    path("", views.index, name="index"),
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/<slug:uid>/", views.import_detail, name="import"),
    path("imports/<slug:uid>/map/", views.import_map, name="import_map"),
    path("imports/<slug:uid>/provenance/", views.import_provenance, name="import_provenance"),
    path("runs/new/", views.run_new, name="run_new"),
    path("runs/<slug:uid>/", views.run_detail, name="run"),
    path("runs/<slug:uid>/status/", views.run_status, name="run_status"),
    path("runs/<slug:uid>/review/", views.review, name="review"),
    path("runs/<slug:uid>/pairs/<int:pair>/judge/", views.judge, name="judge"),
    path("runs/<slug:uid>/clusters/", views.cluster_list, name="clusters"),
    path("runs/<slug:uid>/clusters/<int:row>/", views.cluster_detail, name="cluster"),
    path("runs/<slug:uid>/clusters/<int:row>/split/", views.split, name="split"),
    path("runs/<slug:uid>/clusters/<int:row>/merge/", views.merge, name="merge"),
    path("runs/<slug:uid>/decisions/<int:decision>/undo/", views.decision_undo, name="undo"),
    path("runs/<slug:uid>/people/", views.people, name="people"),
]
