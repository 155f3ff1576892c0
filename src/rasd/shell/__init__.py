"""The HTTP shell: the app around the API's and the pages' routers (`app.py`), its error
handlers and middleware; nothing below imports it."""
