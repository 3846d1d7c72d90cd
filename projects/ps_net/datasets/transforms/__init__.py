"""Data transforms: landmark-keeping crops and the pose + retrieval pack transform."""
