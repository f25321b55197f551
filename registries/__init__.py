"""Shared registries (共享库) behind one adapter interface: once-only prefill and supply.

The embedded default (`EmbeddedRegistries`) holds synthetic but valid records in
`registries/data/<registry>.yaml`; the production form (`HttpRegistries`) calls a
data-exchange service over HTTP with the same contract.
"""
