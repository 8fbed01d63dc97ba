"""The demo program `tessera demo` sets up."""
