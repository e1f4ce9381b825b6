<?php
/**
 * WooCommerce > Storeflow dashboard: the service's merchant page inside WordPress admin.
 *
 * @package Storeflow
 */

namespace Storeflow\Admin;

use Storeflow\EmbeddedToken;
use Storeflow\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * Shows an iframe whose URL carries a five-minute token the plugin signs, so the service knows
 * which store and which WordPress user is looking without a second login. The service keeps no
 * session (no cookie survives in a third-party iframe): the page sends the token with every
 * request, and asks this page (postMessage, answered by assets/js/embedded-page.js through
 * admin-ajax) for a fresh one before it runs out.
 */
final class EmbeddedPage {

	public const SLUG = 'storeflow-dashboard';

	public const AJAX_ACTION = 'storeflow_embedded_token';

	public const NONCE = 'storeflow-embedded-token';

	/**
	 * Hook the menu.
	 */
	public static function register(): void {
		add_action( 'admin_menu', array( self::class, 'menu' ) );
		add_action( 'wp_ajax_' . self::AJAX_ACTION, array( self::class, 'renew' ) );
	}

	/**
	 * Submenu entry under WooCommerce.
	 */
	public static function menu(): void {
		add_submenu_page( 'woocommerce', __( 'Storeflow dashboard', 'storeflow' ), __( 'Storeflow dashboard', 'storeflow' ), 'manage_woocommerce', self::SLUG, array( self::class, 'render' ) );
	}

	/**
	 * The iframe URL for a user, or null when the store is not connected.
	 *
	 * @param int $user_id WordPress user id.
	 * @param int $now     Unix time.
	 */
	public static function frame_url( int $user_id, int $now ): ?string {
		$token = self::fresh_token( $user_id, $now );
		if ( null === $token ) {
			return null;
		}
		$url = Settings::service_url() . '/embedded/woocommerce?wp_token=' . rawurlencode( $token );
		// The page speaks the admin user's language (pl_PL, ro_RO...), else the store's.
		$locale = function_exists( 'get_user_locale' ) ? (string) get_user_locale( $user_id ) : '';
		return '' === $locale ? $url : $url . '&locale=' . rawurlencode( $locale );
	}

	/**
	 * A new token for a user, or null when the store is not connected.
	 *
	 * @param int $user_id WordPress user id.
	 * @param int $now     Unix time.
	 */
	public static function fresh_token( int $user_id, int $now ): ?string {
		if ( ! Settings::is_connected() ) {
			return null;
		}
		return EmbeddedToken::mint( Settings::secret(), Settings::store_url(), $user_id, $now );
	}

	/**
	 * The service's origin (scheme, host, port): the only one the frame's messages may come from.
	 */
	public static function service_origin(): string {
		$parts = wp_parse_url( Settings::service_url() );
		$port  = isset( $parts['port'] ) ? ':' . $parts['port'] : '';
		return ( $parts['scheme'] ?? 'https' ) . '://' . ( $parts['host'] ?? '' ) . $port;
	}

	/**
	 * Admin-ajax: a fresh token for the signed-in manager (nonce and capability checked).
	 */
	public static function renew(): void {
		check_ajax_referer( self::NONCE, 'security' );
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_send_json_error( null, 403 );
		}
		$token = self::fresh_token( get_current_user_id(), time() );
		if ( null === $token ) {
			wp_send_json_error( null, 409 );
		}
		wp_send_json_success( array( 'token' => $token ) );
	}

	/**
	 * The page.
	 */
	public static function render(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to manage Storeflow.', 'storeflow' ), 403 );
		}
		$url = self::frame_url( get_current_user_id(), time() );
		echo '<div class="wrap"><h1>' . esc_html__( 'Storeflow dashboard', 'storeflow' ) . '</h1>';
		if ( null === $url ) {
			echo '<p>' . esc_html__( 'Connect your store to Storeflow first.', 'storeflow' ) . ' <a href="' . esc_url( SettingsPage::url() ) . '">' . esc_html__( 'Open the Storeflow settings', 'storeflow' ) . '</a></p></div>';
			return;
		}
		wp_enqueue_script( 'storeflow-embedded-page', plugins_url( 'assets/js/embedded-page.js', STOREFLOW_FILE ), array(), STOREFLOW_VERSION, array( 'in_footer' => true ) );
		wp_localize_script(
			'storeflow-embedded-page',
			'storeflowEmbedded',
			array(
				'origin' => self::service_origin(),
				'url'    => admin_url( 'admin-ajax.php' ),
				'action' => self::AJAX_ACTION,
				'nonce'  => wp_create_nonce( self::NONCE ),
			)
		);
		echo '<iframe id="storeflow-frame" src="' . esc_url( $url ) . '" title="' . esc_attr__( 'Storeflow', 'storeflow' ) . '" style="width:100%;min-height:80vh;border:0;background:#fff"></iframe></div>';
	}
}
