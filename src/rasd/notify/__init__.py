"""Telling people: subscriptions, alerts through webhooks and apprise, official statements."""
