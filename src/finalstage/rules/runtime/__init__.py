"""FS4xx: how the container runs (user, entrypoint form), judged from the image config and the Dockerfile."""
