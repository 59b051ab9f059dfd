"""Who is calling: users, their passwords and API tokens."""
