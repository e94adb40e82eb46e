"""Static files in production: compressed and hashed by WhiteNoise, ES module imports included."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # The page scripts import one another (`import "./outbox.js";`). Without this, Django
    # would leave those imports pointing at unhashed names, which the service worker
    # has not precached and WhiteNoise serves without a long cache lifetime.
    support_js_module_import_aggregation = True
