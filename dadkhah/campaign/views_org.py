"""(being written)"""

from django.urls import URLPattern

public_urls: list[URLPattern] = []  # under /<lang>/campaigns/
root_urls: list[URLPattern] = []  # under /campaigns/ (no language prefix)
staff_urls: list[URLPattern] = []  # under /campaign/manage/
