"""`python -m tools.fake_stripe.synth`: write a synthetic snapshot."""

from extract.errors import run_main
from tools.fake_stripe.synth import main

run_main(main)
