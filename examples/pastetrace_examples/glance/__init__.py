"""glance (Essex/Folsom, 2012): the image service, an API (:9292) in front of a registry (:9191).

Read ``glance-api-paste.ini``, then ``api.py`` (version negotiation and the root urlmap),
``context.py``, ``images.py`` (the v1 API) and ``store.py``; then ``glance-registry-paste.ini``
and ``registry.py``. The API keeps no metadata itself: it asks the registry over HTTP.
"""
