<?php
// Storeflow inside real WordPress + WooCommerce (see run-real.sh): the version floor, the outbox
// table, the secret's autoload flag, the nonce on wc-auth's return, the privacy tools, Action
// Scheduler's async runner, and revoking the REST keys and webhooks WooCommerce itself created,
// on Disconnect and on uninstall. Outgoing HTTP is answered by a pre_http_request filter.
define( 'WP_ADMIN', true );
$_SERVER['HTTP_HOST']   = 'shop.example';
$_SERVER['REQUEST_URI'] = '/wp-admin/admin.php?page=storeflow';
require getenv( 'WP_DIR' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
wp_set_current_user( 1 );

$storeflow_dir = realpath( WP_PLUGIN_DIR . '/storeflow' );
$GLOBALS['storeflow_php_errors'] = array();
set_error_handler(
	function ( $level, $message, $file, $line ) use ( $storeflow_dir ) {
		if ( str_starts_with( (string) realpath( $file ), $storeflow_dir ) ) {
			$GLOBALS['storeflow_php_errors'][] = "{$message} at {$file}:{$line}";
		}
		return false;
	}
);

$GLOBALS['storeflow_smoke_failed'] = false;
function check( $ok, $what ) {
	echo ( $ok ? 'ok   ' : 'FAIL ' ) . $what . "\n";
	$GLOBALS['storeflow_smoke_failed'] = $GLOBALS['storeflow_smoke_failed'] || ! $ok;
}

// The outside world: the service answers $GLOBALS['service_answer'] (an HTTP code, or 0 for down).
$GLOBALS['requests']       = array();
$GLOBALS['service_answer'] = 200;
add_filter(
	'pre_http_request',
	function ( $pre, $args, $url ) {
		$GLOBALS['requests'][] = array( 'url' => $url, 'args' => $args );
		if ( str_starts_with( $url, 'https://storeflow.example/' ) && $GLOBALS['service_answer'] ) {
			return array( 'headers' => array(), 'body' => '', 'response' => array( 'code' => $GLOBALS['service_answer'], 'message' => '' ), 'cookies' => array(), 'filename' => null );
		}
		return new WP_Error( 'http_request_failed', 'offline smoke test' );
	},
	10,
	3
);
function sent_topics() {
	return array_values( array_filter( array_map( fn( $r ) => $r['args']['headers']['X-Storeflow-Topic'] ?? null, $GLOBALS['requests'] ) ) );
}
// wp_safe_redirect() is followed by exit in the plugin: turn it into an exception.
add_filter( 'wp_redirect', function ( $location ) { throw new RuntimeException( $location ); } );
function redirect_of( callable $callback ) {
	try {
		$callback();
	} catch ( RuntimeException $redirect ) {
		return $redirect->getMessage();
	}
	return '';
}
global $wpdb;
update_option( 'storeflow_settings', array( 'service_url' => 'https://storeflow.example', 'capture_enabled' => '1' ) );

// 1. Version floor.
$data = get_plugin_data( WP_PLUGIN_DIR . '/storeflow/storeflow.php' );
check( is_plugin_active( 'storeflow/storeflow.php' ) && array() === Storeflow\Requirements::current_problems(), 'active on WordPress ' . get_bloginfo( 'version' ) . ' / WooCommerce ' . WC()->version . ' (header: Requires at least ' . $data['RequiresWP'] . ')' );
check( '6.0' === $data['RequiresWP'] && '8.1' === $data['RequiresPHP'], 'WordPress reads the floor from the header' );

// 2. Outbox table made by dbDelta at activation.
$table = $wpdb->prefix . 'storeflow_outbox';
check( $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $table ) ), 'outbox table created at activation' );

// 3. Connect: the secret is not autoloaded; wc-auth's return settles only with our nonce.
Storeflow\Settings::save_pending_secret( str_repeat( 'ab', 32 ) );
check( 'no' === $wpdb->get_var( "SELECT autoload FROM {$wpdb->options} WHERE option_name = 'storeflow_connection'" ), 'connection option (shared secret) not autoloaded' );
$_GET = array( 'page' => 'storeflow', 'success' => '1', 'user_id' => '7.nonce' );
check( str_contains( redirect_of( array( Storeflow\Admin\Connection::class, 'complete' ) ), 'return_refused' ) && ! Storeflow\Settings::is_connected(), 'success=1 without our nonce refused' );
$_GET = array( 'page' => 'storeflow', 'success' => array( '1' ), 'storeflow_return' => array( 'x' ) );
Storeflow\Admin\Connection::complete();
check( ! Storeflow\Settings::is_connected(), 'array query arguments ignored' );
parse_str( (string) wp_parse_url( Storeflow\Admin\Connection::return_url(), PHP_URL_QUERY ), $return_query );
$_GET = $return_query + array( 'success' => '1', 'user_id' => '7.nonce' );
check( str_contains( redirect_of( array( Storeflow\Admin\Connection::class, 'complete' ) ), 'storeflow_notice=connected' ) && Storeflow\Settings::is_connected(), 'return with the admin\'s nonce connects' );
$_GET = array();

// 4. Events: the outbox row, and the request that queued it starts Action Scheduler's runner.
$GLOBALS['requests'] = array();
$delivery            = Storeflow\Sender::queue( 'checkout.contact', array( 'email' => 'ala@example.pl', 'first_name' => 'Ala', 'items' => array() ) );
check( 'ala@example.pl' === $wpdb->get_var( $wpdb->prepare( "SELECT email FROM {$table} WHERE delivery_id = %s", $delivery ) ), 'event body in the outbox table, not in wp_options' );
check( null !== as_next_scheduled_action( Storeflow\Sender::HOOK, array( $delivery, 'checkout.contact', 1 ), Storeflow\Sender::GROUP ), 'Action Scheduler async action queued' );
Storeflow\Sender::start_runner();
$runner = array_filter( array_column( $GLOBALS['requests'], 'url' ), fn( $url ) => str_contains( $url, 'admin-ajax.php' ) && str_contains( $url, 'action=as_async_request_queue_runner' ) );
check( 1 === count( $runner ), 'queueing started Action Scheduler\'s async runner: ' . implode( ' ', $runner ) );
do_action( Storeflow\Sender::HOOK, $delivery, 'checkout.contact', 1 );
check( null === Storeflow\Outbox::body( $delivery ) && array( 'checkout.contact' ) === sent_topics(), 'delivered and removed from the outbox' );

// 5. Privacy tools, as Tools > Export / Erase Personal Data call them.
Storeflow\Sender::queue( 'checkout.contact', array( 'email' => 'ola@example.pl', 'first_name' => 'Ola' ) );
$exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );
$export    = call_user_func( $exporters['storeflow']['callback'], 'ola@example.pl', 1 );
check( 1 === count( $export['data'] ) && in_array( 'Ola', array_column( $export['data'][0]['data'], 'value' ), true ), 'exporter lists the unsent details' );
$erasers              = apply_filters( 'wp_privacy_personal_data_erasers', array() );
$GLOBALS['requests']  = array();
$erased               = call_user_func( $erasers['storeflow']['callback'], 'ola@example.pl', 1 );
check( $erased['items_removed'] && ! $erased['items_retained'] && array() === Storeflow\Outbox::for_email( 'ola@example.pl' ) && array( 'customer.erase' ) === sent_topics(), 'eraser deletes and forwards a signed customer.erase' );
$GLOBALS['service_answer'] = 0;
$erased                    = call_user_func( $erasers['storeflow']['callback'], 'ola@example.pl', 1 );
check( $erased['items_retained'] && array( 'customer.erase' ) === array_column( Storeflow\Outbox::for_email( 'ola@example.pl' ), 'topic' ), 'with Storeflow down the erasure request waits for a retry' );
$GLOBALS['service_answer'] = 200;

// 6. Disconnect revokes the keys wc-auth created and the service's webhooks.
function make_storeflow_access() {
	$auth   = new WC_Auth();
	$create = new ReflectionMethod( $auth, 'create_keys' );
	$create->setAccessible( true );
	$create->invoke( $auth, 'Storeflow', '7.nonce', 'read_write' );
	$create->invoke( $auth, 'Zapier', '1', 'read' );
	foreach ( array( 'Storeflow order.created' => 'https://storeflow.example/webhooks/woocommerce', 'Storeflow coupon.updated' => 'https://storeflow.example/webhooks/woocommerce', 'Order to ERP' => 'https://erp.example/hook' ) as $name => $url ) {
		$webhook = new WC_Webhook();
		$webhook->set_name( $name );
		$webhook->set_user_id( 1 );
		$webhook->set_topic( str_contains( $name, 'coupon' ) ? 'coupon.updated' : 'order.created' );
		$webhook->set_secret( 'x' );
		$webhook->set_delivery_url( $url );
		$webhook->set_status( 'active' );
		$webhook->save();
	}
}
function access_left() {
	global $wpdb;
	$keys  = $wpdb->get_col( "SELECT description FROM {$wpdb->prefix}woocommerce_api_keys ORDER BY key_id" );
	$hooks = $wpdb->get_col( "SELECT name FROM {$wpdb->prefix}wc_webhooks ORDER BY webhook_id" );
	return array( array_map( fn( $d ) => strtok( $d, ' ' ), $keys ), $hooks );
}
make_storeflow_access();
check( array( array( 'Storeflow', 'Zapier' ), array( 'Storeflow order.created', 'Storeflow coupon.updated', 'Order to ERP' ) ) === access_left(), 'wc-auth key and webhooks in place' );
$_REQUEST = array( '_wpnonce' => wp_create_nonce( Storeflow\Admin\Connection::DISCONNECT ) );
$GLOBALS['requests'] = array();
$location            = redirect_of( array( Storeflow\Admin\Connection::class, 'disconnect' ) );
check( str_contains( $location, 'storeflow_notice=disconnected' ) && array( 'store.disconnected' ) === sent_topics(), 'Disconnect told the service (signed store.disconnected)' );
check( array( array( 'Zapier' ), array( 'Order to ERP' ) ) === access_left(), 'Disconnect revoked Storeflow\'s key and webhooks, left the others: ' . json_encode( access_left() ) );
check( ! Storeflow\Settings::is_connected() && '' === Storeflow\Settings::secret() && '0' === (string) $wpdb->get_var( "SELECT COUNT(*) FROM {$table}" ), 'secret and unsent events forgotten' );

// 7. The settings page tells the merchant about WP-Cron; Polish and Romanian translations load.
ob_start();
Storeflow\Admin\SettingsPage::render();
$html = ob_get_clean();
check( str_contains( $html, 'WP-Cron runs only when someone visits your site' ) && str_contains( $html, 'DISABLE_WP_CRON' ), 'settings page explains WP-Cron (and sees DISABLE_WP_CRON)' );
foreach ( array( 'pl_PL' => 'Rozłącz', 'ro_RO' => 'Deconectează' ) as $locale => $expected ) {
	$force = fn() => $locale;
	add_filter( 'plugin_locale', $force );
	unload_textdomain( 'storeflow' );
	Storeflow\Plugin::load_textdomain();
	check( $expected === __( 'Disconnect', 'storeflow' ), "{$locale}: " . __( 'Disconnect', 'storeflow' ) );
	remove_filter( 'plugin_locale', $force );
}

// 8. Uninstall with a live connection.
Storeflow\Settings::save_connection( 'connected', str_repeat( 'cd', 32 ) );
make_storeflow_access();
Storeflow\Sender::queue( 'cart.updated', array( 'email' => 'a@b.pl' ) );
$GLOBALS['requests'] = array();
define( 'WP_UNINSTALL_PLUGIN', 'storeflow/storeflow.php' );
include WP_PLUGIN_DIR . '/storeflow/uninstall.php';
check( array( 'store.disconnected' ) === sent_topics(), 'uninstall told the service' );
check( array( array( 'Zapier', 'Zapier' ), array( 'Order to ERP', 'Order to ERP' ) ) === access_left(), 'uninstall revoked Storeflow\'s key and webhooks: ' . json_encode( access_left() ) );
$left = $wpdb->get_col( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE 'storeflow%'" );
check( null === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $table ) ) && array() === $left, 'uninstall dropped the table and every option: ' . json_encode( $left ) );

check( array() === $GLOBALS['storeflow_php_errors'], 'no PHP warning or notice from the plugin: ' . json_encode( $GLOBALS['storeflow_php_errors'] ) );
exit( $GLOBALS['storeflow_smoke_failed'] ? 1 : 0 );
