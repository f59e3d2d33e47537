"""gunicorn settings for Dadkhah behind a reverse proxy (docs/deploy.md).

Install as /etc/dadkhah/gunicorn.conf.py and start with ``gunicorn -c
/etc/dadkhah/gunicorn.conf.py`` (the systemd unit deploy/dadkhah-web.service does). Options on
the command line override this file; the environment variables below override its defaults.
The production smoke test (tests/deploy/test_production.py) starts gunicorn with this file.
"""

import os

wsgi_app = "dadkhah.wsgi:application"

# nginx on the same machine proxies to this address. Another app server behind a load
# balancer listens on its private address instead (GUNICORN_BIND=10.0.0.11:8000) and never on
# a public one: only the proxy may set X-Forwarded-Proto and X-Forwarded-For.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers, one request each: nginx buffers slow clients and whole uploads, so a worker is
# never held by a slow network. Measured (docs/benchmarks.md, memorial): on 2 cores, 2 sync
# workers answered with a lower server time at p95 than 2 workers of 4 threads. One worker per
# core is the default here; each holds its own copy of the memorial's facet table and of the
# names lexicon (about 220 MiB resident each in the smoke test, empty archive).
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# A dossier PDF takes seconds (5 s measured for 200 claims and 50 items); uploads reach the
# worker only once nginx has the whole body. 120 s leaves room for both on a loaded machine.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5

# Only the proxy on this machine may say the request came over HTTPS (X-Forwarded-Proto);
# Django reads the header itself when DADKHAH_HTTPS=1 (settings.SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The access log goes to stderr (the journal under systemd). It records no visitor address:
# the remote address gunicorn sees is the proxy's, and X-Forwarded-For is not logged. The
# request time in microseconds (%(D)s) is what the benchmarks call server time.
accesslog = "-"
access_log_format = '"%(r)s" %(s)s %(b)s %(D)sus'
errorlog = "-"
loglevel = "info"

# Heartbeat files in memory, not on a disk that can stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
