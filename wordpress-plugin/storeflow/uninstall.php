<?php
/**
 * Removes everything the plugin stored: settings, connection secret, unsent events, queued actions.
 *
 * @package Storeflow
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/autoload.php';

delete_option( Storeflow\Settings::OPTION );
delete_option( Storeflow\Settings::CONNECTION_OPTION );

global $wpdb;
// Unsent events are one option each (storeflow_outbox_<delivery id>); there is no API to list them.
// phpcs:ignore WordPress.DB.DirectDatabaseQuery
$storeflow_outbox = $wpdb->get_col( $wpdb->prepare( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( Storeflow\Settings::OUTBOX_PREFIX ) . '%' ) );
foreach ( $storeflow_outbox as $storeflow_option ) {
	delete_option( $storeflow_option );
}

if ( function_exists( 'as_unschedule_all_actions' ) ) {
	as_unschedule_all_actions( Storeflow\Sender::HOOK, array(), Storeflow\Sender::GROUP );
}
