<?php
/**
 * Suggested text for the site's privacy policy (Settings > Privacy > Policy Guide).
 *
 * @package Storeflow
 */

namespace Storeflow\Admin;

defined( 'ABSPATH' ) || exit;

/**
 * Shoppers' contact details leave the site before they order; the merchant must say so.
 */
final class PrivacyPolicy {

	/**
	 * Hook into the privacy policy guide.
	 */
	public static function register(): void {
		add_action( 'admin_init', array( self::class, 'suggest' ) );
	}

	/**
	 * Add the suggested paragraph.
	 */
	public static function suggest(): void {
		if ( ! function_exists( 'wp_add_privacy_policy_content' ) ) {
			return;
		}
		$text = __( 'When you add products to your cart or type your email address or phone number at checkout, we send your cart, contact details, language and your choice about reminders to Storeflow, which we use to send you reminders about your cart and offers if you agreed to them. You can ask us to delete this data at any time.', 'storeflow' );
		wp_add_privacy_policy_content( __( 'Storeflow', 'storeflow' ), wp_kses_post( wpautop( $text, false ) ) );
	}
}
