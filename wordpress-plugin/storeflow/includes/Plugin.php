<?php
/**
 * Wires the plugin's parts into WordPress.
 *
 * @package Storeflow
 */

namespace Storeflow;

use Automattic\WooCommerce\Utilities\FeaturesUtil;

defined( 'ABSPATH' ) || exit;

/**
 * Boot sequence: compatibility declarations before WooCommerce initialises, hooks once plugins
 * are loaded (and only when WooCommerce is active).
 */
final class Plugin {

	/**
	 * Declare that we work with HPOS order tables and the cart/checkout blocks.
	 */
	public static function declare_compatibility(): void {
		if ( class_exists( FeaturesUtil::class ) ) {
			FeaturesUtil::declare_compatibility( 'custom_order_tables', STOREFLOW_FILE, true );
			FeaturesUtil::declare_compatibility( 'cart_checkout_blocks', STOREFLOW_FILE, true );
		}
	}

	/**
	 * Register every hook.
	 */
	public static function boot(): void {
		add_action( 'init', array( self::class, 'load_textdomain' ) );
		if ( array() !== Requirements::current_problems() ) {
			// WooCommerce deactivated or downgraded after activation: stay idle and say why.
			add_action( 'admin_notices', array( Requirements::class, 'notice' ) );
			return;
		}
		Outbox::maybe_upgrade();
		add_action( Sender::HOOK, array( Sender::class, 'deliver' ), 10, 3 );
		add_action( 'shutdown', array( Sender::class, 'start_runner' ), Sender::RUNNER_PRIORITY );
		Privacy::register();
		CartCapture::register();
		CheckoutContact::register();
		CartRestore::register();
		ProductViews::register();
		Birthday::register();
		Signup::register();
		if ( is_admin() ) {
			Admin\SettingsPage::register();
			Admin\Connection::register();
			Admin\EmbeddedPage::register();
			Admin\PrivacyPolicy::register();
			add_filter( 'plugin_action_links_' . plugin_basename( STOREFLOW_FILE ), array( self::class, 'action_links' ) );
		}
	}

	/**
	 * Translations shipped in languages/ (pl_PL, ro_RO); WordPress.org language packs, when
	 * installed, take precedence.
	 */
	public static function load_textdomain(): void {
		load_plugin_textdomain( 'storeflow', false, dirname( plugin_basename( STOREFLOW_FILE ) ) . '/languages' );
	}

	/**
	 * A "Settings" link on the Plugins screen.
	 *
	 * @param array<int|string, string> $links Existing links.
	 * @return array<int|string, string>
	 */
	public static function action_links( array $links ): array {
		array_unshift( $links, '<a href="' . esc_url( Admin\SettingsPage::url() ) . '">' . esc_html__( 'Settings', 'storeflow' ) . '</a>' );
		return $links;
	}
}
