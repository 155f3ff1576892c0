"""The probe tests' local servers, for the sources that probe (the built-in prober)."""

from probe.conftest import certificates, local_dns, secure_web, web

__all__ = ["certificates", "local_dns", "secure_web", "web"]
