"""High-level APIs (detect -> crop -> landmarks -> embed -> search); filled by the model issues."""
