"""The mock payment providers of the dev stack: PayPay, LINE Pay and the Stripe-compatible card processor.

Standard library only, so the same package runs natively (`python3 -m devkit.providers` from the repository root)
and in an image built from a bare Python base (compose/providers.Dockerfile) with nothing to install.
"""
