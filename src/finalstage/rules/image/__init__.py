"""Image rules: FS2xx content, FS3xx size and waste, FS4xx runtime config (one module each).

They run on an analysed image through ``finalstage.image_rules.run_image_rules``; the
Dockerfile lint engine skips them.
"""
