"""Read models: what the API and the pages both show of the store, as plain data, said in the
reader's language where it names something (a country). Below both sets of routers, so neither
reaches into the other for what it reads."""
