from django.apps import AppConfig


class CampaignConfig(AppConfig):
    name = "dadkhah.campaign"
    label = "campaign"
    verbose_name = "Campaign"
