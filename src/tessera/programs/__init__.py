"""Programs, their sites, and the program configuration (rules, rewards) pages and APIs show."""
