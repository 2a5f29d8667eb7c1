#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
printf 'hello from %s version=%s\n' "$(hostname)" "$VERSION"
