"""Test harness: real builders, registries and engines started for the test session.

- ``build``: local stand-ins for the public base images and the example images under
  ``examples/`` built with buildah and exported with skopeo (see ``README.md``);
- ``registry`` / ``daemon``: loopback registries and a Docker-API engine.

Modules are imported as ``tests.harness.<name>``.
"""
