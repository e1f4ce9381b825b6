<?php
/**
 * Events waiting to be delivered, in the plugin's own table.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * One row per undelivered event in `{prefix}storeflow_outbox`, deleted as soon as it is
 * delivered or given up. A table rather than the Action Scheduler action's arguments: action
 * arguments stay in WooCommerce's tables for a month after the action ran (and show in Tools >
 * Scheduled Actions), are capped at 8000 characters (a big cart is longer), and cannot be
 * found by email address, which the personal-data exporter and eraser need. A table rather
 * than wp_options rows: shoppers' contact details do not belong among the site's settings.
 */
final class Outbox {

	/** Schema version; a plugin update with a new schema runs install() again. */
	public const SCHEMA = '1';
	/** Autoloaded: read on every request to see whether the table needs creating. */
	public const SCHEMA_OPTION = 'storeflow_schema';
	/** Version 0.1.0 kept each body in an option named storeflow_outbox_<delivery id>. */
	public const LEGACY_OPTION_PREFIX = 'storeflow_outbox_';

	/**
	 * The table's name.
	 */
	public static function table(): string {
		global $wpdb;
		return $wpdb->prefix . 'storeflow_outbox';
	}

	/**
	 * Create or update the table (activation, or the first request after an update).
	 */
	public static function install(): void {
		global $wpdb;
		if ( ! function_exists( 'dbDelta' ) ) {
			require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		}
		$table = self::table();
		dbDelta(
			"CREATE TABLE {$table} (
  delivery_id char(36) NOT NULL,
  topic varchar(40) NOT NULL,
  email varchar(100) NOT NULL DEFAULT '',
  body longtext NOT NULL,
  created_at datetime NOT NULL,
  PRIMARY KEY  (delivery_id),
  KEY email (email)
) " . $wpdb->get_charset_collate() . ';'
		);
		self::drop_legacy_rows();
		update_option( self::SCHEMA_OPTION, self::SCHEMA, true );
	}

	/**
	 * Run install() when the stored schema is older than this code's (updates skip activation).
	 */
	public static function maybe_upgrade(): void {
		if ( self::SCHEMA !== get_option( self::SCHEMA_OPTION ) ) {
			self::install();
		}
	}

	/**
	 * Keep one event body until it is delivered.
	 *
	 * @param string $delivery_id Delivery id.
	 * @param string $topic       Topic.
	 * @param string $body        Raw JSON body.
	 * @param string $email       Shopper's email address in the body, '' when none.
	 */
	public static function put( string $delivery_id, string $topic, string $body, string $email ): void {
		global $wpdb;
		$wpdb->insert(
			self::table(),
			array(
				'delivery_id' => $delivery_id,
				'topic'       => $topic,
				'email'       => self::email_key( $email ),
				'body'        => $body,
				'created_at'  => gmdate( 'Y-m-d H:i:s' ),
			),
			array( '%s', '%s', '%s', '%s', '%s' )
		);
	}

	/**
	 * The body of an undelivered event, or null when it is gone.
	 *
	 * @param string $delivery_id Delivery id.
	 */
	public static function body( string $delivery_id ): ?string {
		global $wpdb;
		$table = self::table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- our own table; a queue is not cached.
		$body = $wpdb->get_var( $wpdb->prepare( "SELECT body FROM {$table} WHERE delivery_id = %s", $delivery_id ) );
		return is_string( $body ) ? $body : null;
	}

	/**
	 * Forget one event (delivered or given up).
	 *
	 * @param string $delivery_id Delivery id.
	 */
	public static function remove( string $delivery_id ): void {
		global $wpdb;
		$wpdb->delete( self::table(), array( 'delivery_id' => $delivery_id ), array( '%s' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
	}

	/**
	 * Undelivered events about one email address (personal-data export).
	 *
	 * @param string $email Email address.
	 * @return list<array{delivery_id:string, topic:string, body:string, created_at:string}>
	 */
	public static function for_email( string $email ): array {
		global $wpdb;
		$table = self::table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT delivery_id, topic, body, created_at FROM {$table} WHERE email = %s ORDER BY created_at ASC", self::email_key( $email ) ), ARRAY_A );
		return is_array( $rows ) ? array_values( $rows ) : array();
	}

	/**
	 * Delete the undelivered events about one email address (personal-data erasure).
	 *
	 * @param string $email Email address.
	 * @return int Rows deleted.
	 */
	public static function erase_email( string $email ): int {
		global $wpdb;
		if ( '' === self::email_key( $email ) ) {
			return 0;
		}
		return (int) $wpdb->delete( self::table(), array( 'email' => self::email_key( $email ) ), array( '%s' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
	}

	/**
	 * Delete every undelivered event (disconnect: nothing may be sent any more).
	 */
	public static function clear(): void {
		global $wpdb;
		$table = self::table();
		$wpdb->query( "DELETE FROM {$table}" ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Remove the table and the schema marker (uninstall).
	 */
	public static function drop(): void {
		global $wpdb;
		$table = self::table();
		$wpdb->query( "DROP TABLE IF EXISTS {$table}" ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery.SchemaChange
		self::drop_legacy_rows();
		delete_option( self::SCHEMA_OPTION );
	}

	/**
	 * Version 0.1.0's outbox options (shoppers' contact details among the site's settings).
	 */
	private static function drop_legacy_rows(): void {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- there is no API to list options by prefix.
		$names = $wpdb->get_col( $wpdb->prepare( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( self::LEGACY_OPTION_PREFIX ) . '%' ) );
		foreach ( (array) $names as $name ) {
			delete_option( (string) $name );
		}
	}

	/**
	 * How an email address is kept for look-ups: trimmed, lower case, at most 100 characters.
	 *
	 * @param string $email Email address.
	 */
	private static function email_key( string $email ): string {
		return mb_substr( strtolower( trim( $email ) ), 0, 100 );
	}
}
