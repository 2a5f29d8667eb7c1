#!/bin/sh
# busybox httpd in the foreground on $PORT. It runs as a child (PID 1 ignores SIGTERM by
# default), so ECS's stop (SIGTERM, then SIGKILL after stopTimeout) ends the task at once.
httpd -f -p "${PORT:-8080}" -h /www &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 0' TERM INT
echo "example app listening on :${PORT:-8080} (version ${APP_VERSION})"
wait "$pid"
