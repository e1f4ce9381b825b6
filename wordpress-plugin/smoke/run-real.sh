#!/usr/bin/env bash
# The plugin inside a real WordPress + WooCommerce (no fakes) on a throwaway MariaDB listening on
# a private socket only. Give it a WordPress tree that has WooCommerce in
# wp-content/plugins/woocommerce, e.g. WordPress 6.0.1 + WooCommerce 6.6.0 from the public site
# snapshot HR0N/WP-fozzy (never commit it):
#   git -C <clone> archive HEAD wp-admin wp-includes $(cd <clone>; ls *.php | grep -v wp-config) \
#     wp-content/plugins/woocommerce | tar -x -C /tmp/wp-tree
#   STOREFLOW_WP_TREE=/tmp/wp-tree bash wordpress-plugin/smoke/run-real.sh
# Needs php-cli php-mysql mariadb-server. Skips (exit 0) when STOREFLOW_WP_TREE is not set.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tree="${STOREFLOW_WP_TREE:-}"
if [ -z "$tree" ]; then
  echo "skipped: set STOREFLOW_WP_TREE to a WordPress tree with wp-content/plugins/woocommerce"
  exit 0
fi
tree="$(cd "$tree" && pwd)"
[ -f "$tree/wp-content/plugins/woocommerce/woocommerce.php" ] || { echo "no WooCommerce in $tree"; exit 2; }
work="$(mktemp -d)"
chmod 755 "$work"
db_pid=""
cleanup() {
  if [ -n "$db_pid" ]; then kill "$db_pid" 2>/dev/null || true; wait "$db_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Core copied (WordPress finds wp-config.php next to the real wp-load.php), a private wp-content
# (uploads, logs) with WooCommerce and the plugin linked in.
mkdir -p "$work/wp/wp-content/plugins" "$work/wp/wp-content/uploads" "$work/db"
for entry in "$tree"/*; do
  case "$(basename "$entry")" in wp-content|wp-config.php) ;; *) cp -r "$entry" "$work/wp/" ;; esac
done
ln -s "$tree/wp-content/plugins/woocommerce" "$work/wp/wp-content/plugins/woocommerce"
ln -s "$here/../storeflow" "$work/wp/wp-content/plugins/storeflow"
[ -d "$tree/wp-content/themes" ] && ln -s "$tree/wp-content/themes" "$work/wp/wp-content/themes"
cat > "$work/wp/wp-config.php" <<CONFIG
<?php
define( 'DB_NAME', 'wp' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', 'localhost:$work/mysqld.sock' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
foreach ( array( 'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT' ) as \$salt ) {
	define( \$salt, 'real-smoke-only' );
}
\$table_prefix = 'wp_';
define( 'WP_DEBUG', false );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'DISABLE_WP_CRON', true );
define( 'WP_HOME', 'https://shop.example' );
define( 'WP_SITEURL', 'https://shop.example' );
define( 'WP_CONTENT_DIR', '$work/wp/wp-content' );
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', '$work/wp/' );
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
# PHP 8.2 deprecation notices from WordPress 6.0 / WooCommerce 6.6 themselves are not ours: hidden.
php -d error_reporting='E_ALL & ~E_DEPRECATED' "$here/real-install.php" step=core
php -d error_reporting='E_ALL & ~E_DEPRECATED' "$here/real-install.php" step=storeflow
php -d error_reporting='E_ALL & ~E_DEPRECATED' "$here/real.php"
