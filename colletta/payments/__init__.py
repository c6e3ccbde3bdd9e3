"""Payment providers: the protocol (provider.py), Stripe-style webhook signatures (signing.py),
the offline sandbox (sandbox.py) and Stripe (stripe.py). Imports only domain and base modules."""
