"""A fake Stripe: a synthetic snapshot (synth), a server that replays one
(replay), and a demo business written into a test-mode Stripe (populate)."""
