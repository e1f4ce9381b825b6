<?php
/**
 * The merchant's settings and the connection state, stored as WordPress options.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * Reads, sanitises and writes the plugin's two options.
 */
final class Settings {

	public const OPTION            = 'storeflow_settings';
	public const CONNECTION_OPTION = 'storeflow_connection';

	private const DEFAULTS = array(
		'service_url'     => 'https://app.storeflow.io',
		'capture_enabled' => true,
		'consent_label'   => '',
		'ask_birthday'    => true,
	);

	/** Hosts where a plain-http service URL is acceptable: a developer's own machine. */
	private const LOCAL_HOSTS = array( 'localhost', '127.0.0.1', '::1', '[::1]' );

	/**
	 * Current settings merged over the defaults.
	 *
	 * @return array{service_url:string, capture_enabled:bool, consent_label:string, ask_birthday:bool}
	 */
	public static function get(): array {
		$stored = get_option( self::OPTION, array() );
		return array_merge( self::DEFAULTS, is_array( $stored ) ? $stored : array() );
	}

	/**
	 * Service base URL without trailing slash.
	 */
	public static function service_url(): string {
		return rtrim( self::get()['service_url'], '/' );
	}

	/**
	 * This store's URL as the service knows it: the home URL without trailing slash.
	 */
	public static function store_url(): string {
		return untrailingslashit( home_url() );
	}

	/**
	 * Label of the consent checkbox at checkout.
	 */
	public static function consent_label(): string {
		$label = self::get()['consent_label'];
		return '' !== $label ? $label : __( 'Send me reminders about my cart and offers by email or text message', 'storeflow' );
	}

	/**
	 * Whether checkout and My Account offer the optional birthday field (the birthday email).
	 */
	public static function asks_birthday(): bool {
		return self::capture_active() && (bool) self::get()['ask_birthday'];
	}

	/**
	 * Sanitise callback for register_setting: keeps the previous value of any field that is
	 * invalid, and tells the merchant why, so a typo never wipes a working setting.
	 *
	 * @param mixed $input Raw $_POST data for the option.
	 * @return array{service_url:string, capture_enabled:bool, consent_label:string, ask_birthday:bool}
	 */
	public static function sanitize( $input ): array {
		$current = self::get();
		if ( ! is_array( $input ) ) {
			return $current;
		}
		$clean = $current;

		$url = self::clean_service_url( self::text( $input['service_url'] ?? '' ) );
		if ( null === $url ) {
			add_settings_error( self::OPTION, 'storeflow_service_url', __( 'The Storeflow service address must be an https:// URL. The previous address was kept.', 'storeflow' ) );
		} else {
			$clean['service_url'] = $url;
		}
		$clean['capture_enabled'] = ! empty( $input['capture_enabled'] );
		$clean['consent_label']   = mb_substr( sanitize_text_field( self::text( $input['consent_label'] ?? '' ) ), 0, 200 );
		$clean['ask_birthday']    = ! empty( $input['ask_birthday'] );
		return $clean;
	}

	/**
	 * A submitted field as a string: a crafted request can send an array (field[]=x), which
	 * becomes '' instead of a PHP warning and the word "Array".
	 *
	 * @param mixed $value Submitted value.
	 */
	private static function text( $value ): string {
		return is_string( $value ) ? $value : '';
	}

	/**
	 * A usable service URL, or null: https anywhere, http only on the merchant's own machine.
	 *
	 * @param string $raw Submitted value.
	 */
	private static function clean_service_url( string $raw ): ?string {
		$url    = esc_url_raw( trim( $raw ), array( 'http', 'https' ) );
		$parts  = '' === $url ? false : wp_parse_url( $url );
		$scheme = is_array( $parts ) ? ( $parts['scheme'] ?? '' ) : '';
		$host   = is_array( $parts ) ? strtolower( $parts['host'] ?? '' ) : '';
		if ( '' === $host || isset( $parts['query'] ) || isset( $parts['fragment'] ) || isset( $parts['user'] ) ) {
			return null;
		}
		if ( 'https' !== $scheme && ! ( 'http' === $scheme && in_array( $host, self::LOCAL_HOSTS, true ) ) ) {
			return null;
		}
		return untrailingslashit( $url );
	}

	/**
	 * Connection state: status (disconnected|connected), the live secret, the secret of a
	 * connection waiting for approval, and when it was connected.
	 *
	 * @return array{status:string, secret:string, pending_secret:string, connected_at:int}
	 */
	public static function connection(): array {
		$stored = get_option( self::CONNECTION_OPTION, array() );
		$stored = is_array( $stored ) ? $stored : array();
		return array_merge(
			array(
				'status'         => 'disconnected',
				'secret'         => '',
				'pending_secret' => '',
				'connected_at'   => 0,
			),
			$stored
		);
	}

	/**
	 * Shared secret, or '' when the store has not started connecting.
	 */
	public static function secret(): string {
		return (string) self::connection()['secret'];
	}

	/**
	 * Whether events should be sent at all.
	 */
	public static function is_connected(): bool {
		return 'connected' === self::connection()['status'] && '' !== self::secret();
	}

	/**
	 * Whether cart capture is switched on and the store is connected.
	 */
	public static function capture_active(): bool {
		return self::is_connected() && self::get()['capture_enabled'];
	}

	/**
	 * Store a new connection state (any connection waiting for approval is dropped).
	 *
	 * @param string $status connected|disconnected.
	 * @param string $secret Shared secret.
	 */
	public static function save_connection( string $status, string $secret ): void {
		self::write_connection(
			array(
				'status'       => $status,
				'secret'       => $secret,
				'connected_at' => 'connected' === $status ? time() : 0,
			)
		);
	}

	/**
	 * Remember the secret of a connection the merchant is about to approve. The live connection
	 * keeps working meanwhile, as the service keeps the old secret until WooCommerce calls back.
	 *
	 * @param string $secret New shared secret.
	 */
	public static function save_pending_secret( string $secret ): void {
		self::write_connection( array_merge( self::connection(), array( 'pending_secret' => $secret ) ) );
	}

	/**
	 * The merchant came back from WooCommerce's approval screen: switch to the new secret, or
	 * drop it and keep whatever connection there was.
	 *
	 * @param bool $approved Whether WooCommerce reported success.
	 */
	public static function settle_pending( bool $approved ): void {
		$connection = self::connection();
		if ( $approved ) {
			self::save_connection( 'connected', $connection['pending_secret'] );
			return;
		}
		self::write_connection( array_merge( $connection, array( 'pending_secret' => '' ) ) );
	}

	/**
	 * Write the connection option. It holds the shared secret, so it is not autoloaded: it is
	 * read (one query) only on requests that capture carts or send events, never loaded with
	 * every page of the site.
	 *
	 * @param array<string, mixed> $connection Fields.
	 */
	private static function write_connection( array $connection ): void {
		update_option( self::CONNECTION_OPTION, $connection, false );
	}
}
