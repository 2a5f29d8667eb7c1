#!/bin/sh
# busybox httpd in the foreground on $PORT. httpd runs as a child (not PID 1, which would ignore
# SIGTERM), so `docker stop` ends the container at once with exit code 143.
httpd -f -p "${PORT:-8080}" -h /www &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 143' TERM INT
wait "$pid"
