#!/usr/bin/env bash
# Optional smoke test: the plugin's admin side inside a real WordPress (Debian's `wordpress`
# package, unpacked, not installed) on a throwaway MariaDB listening on a private socket only.
# WooCommerce is not packaged for Debian, so fake-woocommerce.php stands in for the few bits the
# admin side touches. Needs: php-cli php-mysql mariadb-server. Not part of CI (run-tests.sh is).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
chmod 755 "$work"
db_pid=""
cleanup() {
  if [ -n "$db_pid" ]; then kill "$db_pid" 2>/dev/null || true; wait "$db_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -m 777 "$work/deb" # apt's unprivileged _apt user downloads into it
(cd "$work/deb" && apt-get download -q wordpress >/dev/null)
dpkg-deb -x "$work"/deb/wordpress_*.deb "$work/pkg"
cp -r "$work/pkg/usr/share/wordpress" "$work/wp"
mkdir -p "$work/db" "$work/wp/wp-content/plugins" "$work/wp/wp-content/mu-plugins"
ln -s "$here/../storeflow" "$work/wp/wp-content/plugins/storeflow"
cp "$here/fake-woocommerce.php" "$work/wp/wp-content/mu-plugins/"
cat > "$work/wp/wp-config.php" <<CONFIG
<?php
define( 'DB_NAME', 'wp' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', 'localhost:$work/mysqld.sock' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
foreach ( array( 'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT' ) as \$salt ) {
	define( \$salt, 'smoke-test-only' );
}
\$table_prefix = 'wp_';
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_DISPLAY', false );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_HOME', 'https://shop.example' );
define( 'WP_SITEURL', 'https://shop.example' );
define( 'WP_CONTENT_DIR', '$work/wp/wp-content' );
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
CONFIG

mariadb-install-db --no-defaults --datadir="$work/db" --user="$(id -un)" --auth-root-authentication-method=normal >/dev/null
mariadbd --no-defaults --datadir="$work/db" --socket="$work/mysqld.sock" --skip-networking --user="$(id -un)" >"$work/mysqld.log" 2>&1 &
db_pid=$!
for _ in $(seq 30); do
  mariadb --no-defaults -S "$work/mysqld.sock" -uroot -e 'CREATE DATABASE IF NOT EXISTS wp' 2>/dev/null && break
  sleep 1
done

export WP_DIR="$work/wp"
php "$here/install.php" >/dev/null 2>&1
# WordPress 6.1's bundled Requests library predates PHP 8.1 return types: hide only its deprecations.
php "$here/smoke.php" 2> >(grep -v 'Deprecated: .*wp-includes/Requests/' >&2)
