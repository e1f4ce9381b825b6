<?php
// Install WordPress and activate WooCommerce (step=core), then, in a new request with WooCommerce
// loaded as on any page, activate Storeflow through WordPress's own activate_plugin() so the
// plugin's activation hook (version floor, outbox table) runs for real (step=storeflow).
$_SERVER['HTTP_HOST'] = 'shop.example';
$step                 = $argv[1] ?? '';
if ( 'step=core' === $step ) {
	define( 'WP_INSTALLING', true );
}
require getenv( 'WP_DIR' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
if ( 'step=core' === $step ) {
	wp_install( 'Real shop', 'admin', 'admin@shop.example', false, '', wp_generate_password() );
	$result = activate_plugin( 'woocommerce/woocommerce.php' );
	if ( is_wp_error( $result ) ) {
		fwrite( STDERR, 'WooCommerce did not activate: ' . $result->get_error_message() . "\n" );
		exit( 1 );
	}
	echo 'installed WordPress ' . get_bloginfo( 'version' ) . " and activated WooCommerce\n";
	exit( 0 );
}
wp_set_current_user( 1 );
$result = activate_plugin( 'storeflow/storeflow.php' );
if ( is_wp_error( $result ) ) {
	fwrite( STDERR, 'Storeflow did not activate: ' . $result->get_error_message() . "\n" );
	exit( 1 );
}
echo 'activated Storeflow on WordPress ' . get_bloginfo( 'version' ) . ' / WooCommerce ' . WC()->version . "\n";
