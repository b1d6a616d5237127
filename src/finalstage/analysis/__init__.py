"""Content analysis: categories, package databases, ELF facts and secrets, as pure functions.

The layer reader drives it during its single streaming pass:

1. for every regular file, ``wants(path, size, mode)`` says how many leading bytes to capture
   (0 = none, ``ALL`` = the whole file, already capped);
2. right after capturing, ``reduce(path, data)`` shrinks the bytes to what analysis keeps (an
   ``ElfInfo`` for binaries, the bytes of package databases and small config files, else None);
3. at the end, ``analyze(entries, captured)`` returns an ``Analysis``.

``from_image.analyze_image(image)`` does all three over ``finalstage.image.Image``'s single pass.

``classify(entry)`` / ``classify_path(path, kind)`` give one entry's ``Category`` on their own.
Nothing here does I/O or raises on bad image content: malformed input becomes a warning.

Import what you use from its module (``finalstage.analysis.model``, ``.categories``,
``.packages.model``…): this package's ``__init__`` loads nothing, so a rule that only names a
category does not pay for the whole analysis.
"""
