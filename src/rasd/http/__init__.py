"""What the API and the pages both need of HTTP: the process an app serves, JSON answers, the
one error renderer, bodies read within a limit, the client's address, caching (ETags,
Cache-Control) and the page epoch, the headers every answer carries and the cross-site guard,
bearer tokens and their scopes."""
