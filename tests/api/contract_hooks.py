"""schemathesis hooks for Rasd's API document: the one format it names beyond JSON Schema's.

`apprise-url` is a URL that apprise knows (its list of services, each with a grammar of its
own); these are generic ones on hosts under .example, which apprise takes. Load them with
`SCHEMATHESIS_HOOKS=tests/api/contract_hooks.py schemathesis run URL/openapi.json`.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

_SCHEMES = ("json", "jsons", "xml", "xmls", "form", "forms")
_NAME = st.from_regex(r"[a-z][a-z0-9]{0,15}", fullmatch=True)
_PATH = st.from_regex(r"[a-z0-9]{0,20}", fullmatch=True)

schemathesis.openapi.format(
    "apprise-url",
    st.builds(
        lambda scheme, host, path: f"{scheme}://{host}.example/{path}",
        st.sampled_from(_SCHEMES),
        _NAME,
        _PATH,
    ),
)
