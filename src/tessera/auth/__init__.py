"""Who is calling: API keys with scopes, and the deprecated site token & secret."""
