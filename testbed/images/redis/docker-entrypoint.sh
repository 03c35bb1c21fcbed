#!/bin/sh
# The official redis image's entrypoint contract.
set -e

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

# Without a config file Redis only answers loopback clients; published ports arrive from the bridge.
if [ "$1" = 'redis-server' ]; then
	protected=1
	config=
	if [ -f "${2:-}" ]; then
		config="$2"
		if grep -q '^protected-mode' "$config"; then protected=; fi
	fi
	if [ "$protected" ]; then
		shift
		if [ "$config" ]; then shift; fi
		set -- --protected-mode no "$@"
		if [ "$config" ]; then set -- "$config" "$@"; fi
		set -- redis-server "$@"
	fi
fi

umask 0077
exec "$@"
