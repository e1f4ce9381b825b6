<?php
/**
 * Connect and Disconnect buttons: the wc-auth handshake started through the service.
 *
 * @package Storeflow
 */

namespace Storeflow\Admin;

use Storeflow\Settings;
use Storeflow\StoreAccess;

defined( 'ABSPATH' ) || exit;

/**
 * Connect: make a shared secret, hand it to the service server-to-server, send the merchant to
 * WooCommerce's key approval screen. Disconnect: tell the service, revoke Storeflow's API keys
 * and webhooks, forget the secret.
 */
final class Connection {

	public const CONNECT    = 'storeflow_connect';
	public const DISCONNECT = 'storeflow_disconnect';
	/** Nonce action, and query argument, that bind wc-auth's return to the admin who pressed Connect. */
	public const RETURN_NONCE = 'storeflow_return';

	/**
	 * Hook the admin-post handlers and the return from wc-auth.
	 */
	public static function register(): void {
		add_action( 'admin_post_' . self::CONNECT, array( self::class, 'connect' ) );
		add_action( 'admin_post_' . self::DISCONNECT, array( self::class, 'disconnect' ) );
		add_action( 'admin_init', array( self::class, 'complete' ) );
	}

	/**
	 * Connect button.
	 */
	public static function connect(): void {
		self::guard( self::CONNECT );
		$secret    = bin2hex( random_bytes( 32 ) );
		$authorize = self::start( $secret );
		if ( is_wp_error( $authorize ) ) {
			wc_get_logger()->warning( 'Storeflow connect failed: ' . $authorize->get_error_message(), array( 'source' => 'storeflow' ) );
			self::back( 'connect_failed' );
		}
		Settings::save_pending_secret( $secret );
		// The approval screen lives on this very store, so a safe redirect is enough.
		wp_safe_redirect( $authorize );
		exit;
	}

	/**
	 * Ask the service to start the wc-auth flow; returns the authorize URL to send the admin to.
	 *
	 * @param string $secret New shared secret.
	 * @return string|\WP_Error
	 */
	public static function start( string $secret ) {
		$response = wp_remote_post(
			Settings::service_url() . '/connect/woocommerce/start',
			array(
				'headers' => array( 'Content-Type' => 'application/json' ),
				'body'    => \Storeflow\Json::compact(
					array(
						'store_url'     => Settings::store_url(),
						'shared_secret' => $secret,
						'return_url'    => self::return_url(),
					)
				),
				'timeout' => 20,
			)
		);
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		$body = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		$url  = is_array( $body ) && is_string( $body['authorize_url'] ?? null ) ? $body['authorize_url'] : '';
		if ( 200 !== $code || ! self::is_store_authorize_url( $url ) ) {
			return new \WP_Error( 'storeflow_start', "Unexpected answer from Storeflow (HTTP {$code})." );
		}
		return $url;
	}

	/**
	 * Where wc-auth sends the admin back (it appends success and user_id): the settings page
	 * with a nonce of this admin's session, so only the admin who pressed Connect, in the same
	 * session, can settle the connection.
	 */
	public static function return_url(): string {
		return add_query_arg( self::RETURN_NONCE, wp_create_nonce( self::RETURN_NONCE ), SettingsPage::url() );
	}

	/**
	 * Only ever send the admin to this store's own wc-auth screen, whatever the service says.
	 *
	 * @param string $url URL from the service.
	 */
	public static function is_store_authorize_url( string $url ): bool {
		$store = wp_parse_url( Settings::store_url() );
		$given = wp_parse_url( $url );
		if ( ! is_array( $store ) || ! is_array( $given ) ) {
			return false;
		}
		return ( $given['host'] ?? '' ) === ( $store['host'] ?? null )
			&& ( $given['scheme'] ?? '' ) === ( $store['scheme'] ?? null )
			&& str_ends_with( $given['path'] ?? '', '/wc-auth/v1/authorize' );
	}

	/**
	 * Back from WooCommerce's approval screen: wc-auth appends success=1 or success=0 to the
	 * return URL, which carries our nonce. Without a valid nonce (a link someone else made, or
	 * another admin's), a user who may manage WooCommerce, and a connection waiting for approval,
	 * nothing changes.
	 */
	public static function complete(): void {
		$page    = self::query( 'page' );
		$success = self::query( 'success' );
		if ( SettingsPage::SLUG !== $page || null === $success ) {
			return;
		}
		if ( '' === Settings::connection()['pending_secret'] || ! current_user_can( 'manage_woocommerce' ) ) {
			return;
		}
		if ( ! wp_verify_nonce( (string) self::query( self::RETURN_NONCE ), self::RETURN_NONCE ) ) {
			self::back( 'return_refused' );
		}
		$approved = '1' === $success;
		Settings::settle_pending( $approved );
		self::back( $approved ? 'connected' : 'denied' );
	}

	/**
	 * One query argument as sanitised text, or null when it is absent or not a string (an
	 * array from `name[]=`).
	 *
	 * @param string $name Argument name.
	 */
	private static function query( string $name ): ?string {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- complete() checks the nonce before acting.
		$value = $_GET[ $name ] ?? null;
		return is_string( $value ) ? sanitize_text_field( wp_unslash( $value ) ) : null;
	}

	/**
	 * Disconnect button: the service is told (signed), Storeflow's API keys and webhooks are
	 * deleted, the secret and unsent events forgotten.
	 */
	public static function disconnect(): void {
		self::guard( self::DISCONNECT );
		$told = StoreAccess::disconnect( 'disconnected' );
		self::back( $told ? 'disconnected' : 'disconnected_offline' );
	}

	/**
	 * Capability and nonce check for the buttons.
	 *
	 * @param string $action Nonce action.
	 */
	private static function guard( string $action ): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to manage Storeflow.', 'storeflow' ), 403 );
		}
		check_admin_referer( $action );
	}

	/**
	 * Back to the settings page with a notice code.
	 *
	 * @param string $notice Key of SettingsPage::NOTICES.
	 */
	private static function back( string $notice ): void {
		wp_safe_redirect( add_query_arg( 'storeflow_notice', $notice, SettingsPage::url() ) );
		exit;
	}
}
