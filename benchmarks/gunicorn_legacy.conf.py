"""No settings: what gunicorn ran with before gunicorn.conf.py existed (sync workers; the
command line gives `-w 2 --preload`). benchmarks/web.py --servers legacy passes this file so
that gunicorn does not read ./gunicorn.conf.py."""
