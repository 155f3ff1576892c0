"""The cluster's worker: shards counted by their one owner, detection by one leader."""
