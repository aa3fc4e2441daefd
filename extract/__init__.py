"""The extraction: Stripe objects, verbatim, into schema stripe_raw.

The dlt sources live in `extract.sources`; this package's root imports
nothing, so the tools that only need its settings, configuration or errors
(make build, the stack) start without loading dlt.
"""
