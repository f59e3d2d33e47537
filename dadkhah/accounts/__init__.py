"""Users, roles and API tokens. A user's role is the Django group of the same name."""
