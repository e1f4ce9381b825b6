<?php
// Load real WordPress with the plugin active and a fake WooCommerce class, as wp-admin would, and
// check the admin side against WordPress's own Settings API, escaping, header parser and $wpdb.
define( 'WP_ADMIN', true );
$_SERVER['HTTP_HOST'] = 'shop.example';
$_SERVER['REQUEST_URI'] = '/wp-admin/admin.php?page=storeflow';
require getenv( 'WP_DIR' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
wp_set_current_user( 1 );
// The site is offline: skip WordPress.org update checks rather than print their warnings.
foreach ( array( '_maybe_update_core', '_maybe_update_plugins', '_maybe_update_themes' ) as $storeflow_check ) {
	remove_action( 'admin_init', $storeflow_check );
}
do_action( 'admin_init' );
do_action( 'admin_menu' );

$GLOBALS['storeflow_smoke_failed'] = false;
function check( $ok, $what ) {
	echo ( $ok ? 'ok   ' : 'FAIL ' ) . $what . "\n";
	$GLOBALS['storeflow_smoke_failed'] = $GLOBALS['storeflow_smoke_failed'] || ! $ok;
}
global $submenu;
$slugs = array_column( $submenu['woocommerce'] ?? array(), 2 );
check( in_array( 'storeflow', $slugs, true ) && in_array( 'storeflow-dashboard', $slugs, true ), 'submenu pages under woocommerce: ' . implode( ',', $slugs ) );

// Settings API path (what options.php does): update_option runs our sanitize callback.
update_option( 'storeflow_settings', array( 'service_url' => 'https://storeflow.example/', 'capture_enabled' => '1', 'consent_label' => '<b>Remind</b> me "please"' ) );
$s = get_option( 'storeflow_settings' );
check( 'https://storeflow.example' === $s['service_url'] && true === $s['capture_enabled'] && 'Remind me "please"' === $s['consent_label'], 'sanitised through register_setting: ' . json_encode( $s ) );
update_option( 'storeflow_settings', array( 'service_url' => 'javascript:alert(1)', 'consent_label' => 'x' ) );
check( 'https://storeflow.example' === get_option( 'storeflow_settings' )['service_url'], 'bad URL refused, previous kept; errors: ' . json_encode( array_column( get_settings_errors( 'storeflow_settings' ), 'code' ) ) );
update_option( 'storeflow_settings', array( 'service_url' => 'http://localhost:5000', 'consent_label' => '"><script>alert(1)</script>' ) );
check( 'http://localhost:5000' === get_option( 'storeflow_settings' )['service_url'], 'localhost http allowed' );
check( 'manage_woocommerce' === apply_filters( 'option_page_capability_storeflow', 'manage_options' ), 'options.php capability is manage_woocommerce' );

ob_start();
Storeflow\Admin\SettingsPage::render();
$html = ob_get_clean();
check( str_contains( $html, 'name="_wpnonce"' ) && str_contains( $html, 'value="storeflow_connect"' ), 'settings page has nonce and Connect form' );
check( ! str_contains( $html, '<script>' ), 'settings page escapes stored values' );
check( str_contains( $html, 'Not connected.' ), 'status shown' );

Storeflow\Settings::save_connection( 'connected', str_repeat( 'ab', 32 ) );
ob_start();
Storeflow\Admin\SettingsPage::render();
$html = ob_get_clean();
check( str_contains( $html, 'Connected since' ) && str_contains( $html, 'value="storeflow_disconnect"' ), 'connected status and Disconnect button' );
ob_start();
Storeflow\Admin\EmbeddedPage::render();
$html = ob_get_clean();
preg_match( '/<iframe src="([^"]+)"/', $html, $m );
$src = html_entity_decode( $m[1] ?? '' );
parse_str( (string) parse_url( $src, PHP_URL_QUERY ), $q );
$claims = Storeflow\SignedToken::verify( str_repeat( 'ab', 32 ), $q['wp_token'] ?? '' );
check( str_starts_with( $src, 'http://localhost:5000/embedded/woocommerce?wp_token=' ) && 1 === $claims['user'] && 'https://shop.example' === $claims['store'], 'embedded iframe with verifiable token: ' . json_encode( $claims ) );

check( in_array( 'Storeflow', array_column( WP_Privacy_Policy_Content::get_suggested_policy_text(), 'plugin_name' ), true ), 'privacy policy suggestion registered' );

$data = get_plugin_data( WP_PLUGIN_DIR . '/storeflow/storeflow.php' );
check( '8.1' === $data['RequiresPHP'] && '6.0' === $data['RequiresWP'] && 'Storeflow for WooCommerce' === $data['Name'], 'plugin header parsed by WordPress' );

update_option( 'storeflow_outbox_abc', '{}', false );
define( 'WP_UNINSTALL_PLUGIN', 'storeflow/storeflow.php' );
include WP_PLUGIN_DIR . '/storeflow/uninstall.php';
check( false === get_option( 'storeflow_outbox_abc' ) && false === get_option( 'storeflow_connection' ) && array() === get_option( 'storeflow_settings' ), 'uninstall removed settings, secret and outbox' );
exit( $GLOBALS['storeflow_smoke_failed'] ? 1 : 0 );
