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
 * which store and which WordPress user is looking without a second login.
 */
final class EmbeddedPage {

	public const SLUG = 'storeflow-dashboard';

	/**
	 * Hook the menu.
	 */
	public static function register(): void {
		add_action( 'admin_menu', array( self::class, 'menu' ) );
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
		if ( ! Settings::is_connected() ) {
			return null;
		}
		$token = EmbeddedToken::mint( Settings::secret(), Settings::store_url(), $user_id, $now );
		return Settings::service_url() . '/embedded/woocommerce?wp_token=' . rawurlencode( $token );
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
		echo '<iframe src="' . esc_url( $url ) . '" title="' . esc_attr__( 'Storeflow', 'storeflow' ) . '" style="width:100%;min-height:80vh;border:0;background:#fff"></iframe></div>';
	}
}
