"""keystone (Essex, 2012.1): the identity service, public on :5000 and admin on :35357.

Read ``keystone-paste.ini`` first, then ``middleware.py`` (the filters), ``contrib.py`` (the
extension filters with their own Routes mapper), and ``service.py`` (the apps).
"""
