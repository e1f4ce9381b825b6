<?php
/**
 * Uninstall: tell Storeflow (signed), revoke Storeflow's REST API keys and webhooks on this
 * store, and remove everything the plugin stored: settings, connection secret, unsent events
 * (table and legacy options), queued actions.
 *
 * @package Storeflow
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/autoload.php';

Storeflow\StoreAccess::disconnect( 'uninstalled' );
Storeflow\Outbox::drop();
delete_option( Storeflow\Settings::OPTION );
delete_option( Storeflow\Settings::CONNECTION_OPTION );

if ( function_exists( 'as_unschedule_all_actions' ) ) {
	as_unschedule_all_actions( Storeflow\Sender::HOOK, array(), Storeflow\Sender::GROUP );
}
