<?php
/**
 * The REST API keys and webhooks Storeflow holds on this store, and revoking them.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * Disconnect and uninstall must leave Storeflow no way in and no data flowing out: its API
 * keys are deleted (as WooCommerce > Settings > Advanced > REST API "Revoke" does) and its
 * webhooks deleted (as WooCommerce's webhook screen does).
 *
 * The plugin never sees the consumer key (WooCommerce posts it to the service), so the keys are
 * found the way WooCommerce's wc-auth endpoint (WooCommerce 6.6, class-wc-auth.php,
 * create_keys) writes them into `{prefix}woocommerce_api_keys`: description
 * "<app_name> - API (<Y-m-d H:i:s GMT>)" with the app name the service asks for, "Storeflow".
 * Every such key is deleted, so keys left by an earlier connection go too.
 */
final class StoreAccess {

	/** The app_name the service puts in the wc-auth authorize URL. */
	public const APP_NAME = 'Storeflow';

	/** The path the service's webhooks deliver to. */
	public const WEBHOOK_PATH = '/webhooks/woocommerce';

	/**
	 * Whether a key description is one wc-auth wrote for Storeflow.
	 *
	 * @param string $description woocommerce_api_keys.description.
	 */
	public static function is_storeflow_key( string $description ): bool {
		return 1 === preg_match( '/^' . preg_quote( self::APP_NAME, '/' ) . ' - API \(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\)$/', $description );
	}

	/**
	 * Whether a webhook delivers to Storeflow: to the configured service's webhook address, or
	 * named "Storeflow <topic>" (as the service names them) and delivering to a
	 * /webhooks/woocommerce address (the service moved since).
	 *
	 * @param string $name         Webhook name.
	 * @param string $delivery_url Webhook delivery URL.
	 * @param string $service_url  Storeflow service base URL.
	 */
	public static function is_storeflow_webhook( string $name, string $delivery_url, string $service_url ): bool {
		if ( $delivery_url === $service_url . self::WEBHOOK_PATH ) {
			return true;
		}
		$path = (string) wp_parse_url( $delivery_url, PHP_URL_PATH );
		return 0 === strpos( $name, self::APP_NAME . ' ' ) && str_ends_with( $path, self::WEBHOOK_PATH );
	}

	/**
	 * Delete Storeflow's REST API keys; returns how many.
	 */
	public static function revoke_keys(): int {
		global $wpdb;
		$table = $wpdb->prefix . 'woocommerce_api_keys';
		if ( ! self::table_exists( $table ) ) {
			return 0; // WooCommerce was never installed here.
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- WooCommerce has no API to list or revoke keys; its admin screen does exactly this.
		$rows    = $wpdb->get_results( $wpdb->prepare( "SELECT key_id, description FROM {$table} WHERE description LIKE %s", $wpdb->esc_like( self::APP_NAME . ' - API (' ) . '%' ) );
		$revoked = 0;
		foreach ( (array) $rows as $row ) {
			if ( self::is_storeflow_key( (string) $row->description ) ) {
				$revoked += (int) $wpdb->delete( $table, array( 'key_id' => (int) $row->key_id ), array( '%d' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			}
		}
		return $revoked;
	}

	/**
	 * Delete Storeflow's webhooks through WooCommerce's webhook data store (which also clears
	 * its webhook caches and fires woocommerce_webhook_deleted); returns how many.
	 */
	public static function delete_webhooks(): int {
		if ( ! function_exists( 'wc_get_webhook' ) || ! class_exists( \WC_Data_Store::class ) ) {
			return self::delete_webhook_rows(); // Uninstall with WooCommerce inactive.
		}
		$service = Settings::service_url();
		$deleted = 0;
		foreach ( (array) \WC_Data_Store::load( 'webhook' )->search_webhooks( array( 'limit' => -1 ) ) as $id ) {
			$webhook = wc_get_webhook( $id );
			if ( $webhook && self::is_storeflow_webhook( (string) $webhook->get_name( 'edit' ), (string) $webhook->get_delivery_url( 'edit' ), $service ) ) {
				$webhook->delete( true );
				++$deleted;
			}
		}
		return $deleted;
	}

	/**
	 * The same, straight from WooCommerce's table when WooCommerce is not loaded (its webhooks
	 * would start posting again the day it is reactivated).
	 */
	private static function delete_webhook_rows(): int {
		global $wpdb;
		$table = $wpdb->prefix . 'wc_webhooks';
		if ( ! self::table_exists( $table ) ) {
			return 0;
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows    = $wpdb->get_results( "SELECT webhook_id, name, delivery_url FROM {$table}" );
		$deleted = 0;
		foreach ( (array) $rows as $row ) {
			if ( self::is_storeflow_webhook( (string) $row->name, (string) $row->delivery_url, Settings::service_url() ) ) {
				$deleted += (int) $wpdb->delete( $table, array( 'webhook_id' => (int) $row->webhook_id ), array( '%d' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			}
		}
		return $deleted;
	}

	/**
	 * Whether a table exists.
	 *
	 * @param string $table Table name.
	 */
	private static function table_exists( string $table ): bool {
		global $wpdb;
		return $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) ) === $table; // phpcs:ignore WordPress.DB.DirectDatabaseQuery
	}

	/**
	 * Tell the service (signed with the current secret, while it still exists), then revoke the
	 * keys and webhooks and forget the secret and any unsent events. Returns whether the service
	 * acknowledged.
	 *
	 * @param string $reason disconnected|uninstalled.
	 */
	public static function disconnect( string $reason ): bool {
		$told = true;
		if ( '' !== Settings::secret() ) {
			$told = 'sent' === Sender::send_now(
				'store.disconnected',
				array(
					'store_url'       => Settings::store_url(),
					'reason'          => $reason,
					'disconnected_at' => gmdate( 'Y-m-d\TH:i:s+00:00' ),
				)
			);
		}
		self::delete_webhooks();
		self::revoke_keys();
		Settings::save_connection( 'disconnected', '' );
		Outbox::clear();
		return $told;
	}
}
