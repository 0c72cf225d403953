"""Signed webhooks: intake events POSTed to integrators' HTTPS endpoints.

- :mod:`.addresses`: which URLs may receive them (https, public addresses only);
- :mod:`.endpoints`: register, rotate the secret, disable, remove (admin pages);
- :mod:`.events`: the event rows, queued in the transaction of the change they report;
- :mod:`.delivery`: ``flask webhooks deliver``, claiming, signing, sending and retrying.
"""
