"""Wire shapes that more than one part of Tessera encodes: a dialect's objects as msgspec
Structs with the one function that builds each from the core's types.

An adapter (tessera.api) encodes its answers with them, and the core encodes its webhook
events with the same ones (tessera.loyalty.program_events), so a customer in a webhook is the
customer the API shows. Nothing here reads a request, a database or a setting.
"""
