"""The library calls behind every command: one function each, returning one ``Report``.

``finalstage`` re-exports them (``finalstage.lint``, ``finalstage.check``…); the CLI imports the
one module of the command it runs, so this package's ``__init__`` loads nothing:
``api.lint`` (lint), ``api.inspect`` (inspect, ls), ``api.check`` (check), ``api.rules`` (rules),
``api.diff`` (diff), ``api.slim`` (slim), ``api.scan`` (scan, a fleet),
``api.source`` (open_image), ``api.memo`` (the whole-report memo of inspect).
"""
