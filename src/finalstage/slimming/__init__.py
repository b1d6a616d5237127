"""The machinery behind ``finalstage slim`` (the library call is ``finalstage.slim(...)``, in
``finalstage.api``): shrink an image to what its entrypoint needs, explained file by file.

``plan`` computes the static closure (``closure`` bookkeeping; ``loader`` for ELF, ``commands``
for programs and shells, ``python`` and ``node`` for their runtimes, ``runtime`` and
``appfiles`` for the rest), ``output`` writes the new image, ``verify`` proves it by running the
fat and the slim image with the same probe and tracing what the fat one opened (``trace``,
``probe``).
"""
