#!/bin/sh
# Headers end with a bare LF (no CR), and there is no Content-Length: the body ends at close.
printf 'Content-Type: text/plain\n\n'
printf 'cgi from %s\n' "$(hostname)"
