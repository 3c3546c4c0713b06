"""Planning Together for Children: the shared platform package."""
