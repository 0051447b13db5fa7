"""nova (Essex, 2012.1): the compute API on :8774, which calls glance and keystone over HTTP.

Read ``api-paste.ini``, then ``auth.py`` (the auth-strategy composite and the context
filters), ``api.py`` (faults, rate limits, the Routes-based APIRouter and its controllers),
``compute.py`` (what ``POST /servers`` really does) and ``image.py`` (the glance client).
"""
