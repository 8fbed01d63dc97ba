"""Domain-free helpers shared by every layer: errors, secrets, time."""
