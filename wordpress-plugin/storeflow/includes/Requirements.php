<?php
/**
 * The oldest WordPress and WooCommerce the plugin is tested on, checked at activation and boot.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * WordPress enforces the header's "Requires at least" itself; nothing enforces "WC requires at
 * least", so the plugin checks both here, refuses activation below them and stays idle (with a
 * notice) if WooCommerce is later downgraded.
 */
final class Requirements {

	/** Keep equal to the plugin header's and readme's "Requires at least". */
	public const WORDPRESS = '6.0';
	/** Keep equal to the plugin header's "WC requires at least". */
	public const WOOCOMMERCE = '6.6';

	/**
	 * What is missing, as messages for the admin; empty when both versions are high enough.
	 *
	 * @param string      $wordpress   WordPress version.
	 * @param string|null $woocommerce WooCommerce version, null when it is not active.
	 * @return list<string>
	 */
	public static function problems( string $wordpress, ?string $woocommerce ): array {
		$problems = array();
		if ( version_compare( $wordpress, self::WORDPRESS, '<' ) ) {
			/* translators: 1: required WordPress version, 2: installed WordPress version */
			$problems[] = sprintf( __( 'Storeflow needs WordPress %1$s or newer; this site runs %2$s.', 'storeflow' ), self::WORDPRESS, $wordpress );
		}
		if ( null === $woocommerce ) {
			$problems[] = __( 'Storeflow needs WooCommerce: install and activate it first.', 'storeflow' );
		} elseif ( version_compare( $woocommerce, self::WOOCOMMERCE, '<' ) ) {
			/* translators: 1: required WooCommerce version, 2: installed WooCommerce version */
			$problems[] = sprintf( __( 'Storeflow needs WooCommerce %1$s or newer; this site runs %2$s.', 'storeflow' ), self::WOOCOMMERCE, $woocommerce );
		}
		return $problems;
	}

	/**
	 * Problems on this site right now.
	 *
	 * @return list<string>
	 */
	public static function current_problems(): array {
		return self::problems( (string) get_bloginfo( 'version' ), self::woocommerce_version() );
	}

	/**
	 * Active WooCommerce's version, or null.
	 */
	public static function woocommerce_version(): ?string {
		if ( ! function_exists( 'WC' ) || ! class_exists( 'WooCommerce' ) ) {
			return null;
		}
		$woocommerce = WC();
		if ( is_object( $woocommerce ) && isset( $woocommerce->version ) && is_string( $woocommerce->version ) ) {
			return $woocommerce->version;
		}
		return defined( 'WC_VERSION' ) ? (string) constant( 'WC_VERSION' ) : null;
	}

	/**
	 * Activation hook: below the floor the plugin deactivates itself and says why.
	 */
	public static function on_activation(): void {
		$problems = self::current_problems();
		if ( array() === $problems ) {
			Outbox::install();
			return;
		}
		deactivate_plugins( plugin_basename( STOREFLOW_FILE ) );
		wp_die( esc_html( implode( ' ', $problems ) ), esc_html__( 'Storeflow cannot be activated', 'storeflow' ), array( 'back_link' => true ) );
	}

	/**
	 * Admin notice while the plugin stays idle because a requirement is no longer met.
	 */
	public static function notice(): void {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		foreach ( self::current_problems() as $problem ) {
			echo '<div class="notice notice-error"><p>' . esc_html( $problem ) . '</p></div>';
		}
	}
}
