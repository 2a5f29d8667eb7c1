#!/bin/sh
# GET / : which task answered (the container hostname) and which version runs.
printf 'Content-Type: text/plain\r\n\r\n'
printf 'hello from %s version=%s\n' "$(hostname)" "$APP_VERSION"
