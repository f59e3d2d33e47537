from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from dadkhah.accounts import audit
from dadkhah.accounts import views as account_views
from dadkhah.api import api
from dadkhah.campaign import urls as campaign_urls
from dadkhah.memorial import urls as memorial_urls
from dadkhah.memorial import views as memorial_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    # Logging in with two factors and the account page; Django's logout view stays.
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/", include("dadkhah.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # The audit trail (administrators only) and the ledger proof of each entry.
    path("audit/", audit.audit_page, name="audit"),
    path("audit/<int:seq>/", audit.audit_entry, name="audit_entry"),
    path("vault/", include("dadkhah.vault.urls")),
    path("counting/", include("dadkhah.counting.urls")),
    path("search/", include("dadkhah.search.urls")),
    path("linkage/", include("dadkhah.linkage.urls")),
    path("dossiers/", include("dadkhah.dossiers.urls")),
    path("campaign/manage/", include((campaign_urls.staff_urlpatterns, "campaign_staff"))),
    path("campaigns/", include((campaign_urls.root_urlpatterns, "campaign_root"))),
    path("memorial/review/", include((memorial_urls.staff_urlpatterns, "memorial_staff"))),
    path("", include((memorial_urls.root_urlpatterns, "memorial_root"))),
    # "/": the memorial for visitors (redirect to /<lang>/), the staff home for staff.
    path("", memorial_views.root, name="root"),
    path("", include("dadkhah.records.urls")),
]

# The public memorial, in each language: /en/…, /fa/….
urlpatterns += i18n_patterns(
    path("campaigns/", include((campaign_urls.public_urlpatterns, "campaign"))),
    path("", include("dadkhah.memorial.urls")),
    prefix_default_language=True,
)
