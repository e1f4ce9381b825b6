<?php
/**
 * The optional birthday field at checkout and in My Account, for Storeflow's birthday email.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * Keeps the date as user meta (a registered customer) and order meta (any checkout), both named
 * without a leading underscore so WooCommerce's REST customer and order webhooks carry them to
 * the service in `meta_data`. Classic checkout and My Account > Account details; the block
 * checkout's additional fields have no date type, so it is not asked there.
 */
final class Birthday {

	/** Form field, user meta and order meta key. */
	public const FIELD = 'storeflow_birthday';

	/**
	 * Hook into WooCommerce.
	 */
	public static function register(): void {
		add_action( 'woocommerce_after_checkout_billing_form', array( self::class, 'render_checkout_field' ) );
		add_action( 'woocommerce_checkout_create_order', array( self::class, 'save_from_checkout' ) );
		add_action( 'woocommerce_edit_account_form', array( self::class, 'render_account_field' ) );
		add_action( 'woocommerce_save_account_details', array( self::class, 'save_from_account' ) );
	}

	/**
	 * A real past date as `YYYY-MM-DD`, or null (empty, malformed, impossible or in the future).
	 *
	 * @param mixed $value Submitted value.
	 * @param int   $now   Unix time.
	 */
	public static function sanitize( $value, int $now ): ?string {
		if ( ! is_string( $value ) || 1 !== preg_match( '/^(\d{4})-(\d{2})-(\d{2})$/', trim( $value ), $m ) ) {
			return null;
		}
		list( , $year, $month, $day ) = array_map( 'intval', $m );
		if ( $year < 1900 || ! checkdate( $month, $day, $year ) ) {
			return null;
		}
		$date = sprintf( '%04d-%02d-%02d', $year, $month, $day );
		return $date <= gmdate( 'Y-m-d', $now ) ? $date : null;
	}

	/**
	 * The field's HTML, with the shopper's saved date.
	 *
	 * @param string $value Saved date or ''.
	 */
	public static function field_html( string $value ): string {
		return '<p class="form-row form-row-wide storeflow-birthday"><label for="' . esc_attr( self::FIELD ) . '">'
			. esc_html__( 'Birthday (optional): we will send you a gift', 'storeflow' )
			. '</label><input type="date" class="input-text" id="' . esc_attr( self::FIELD ) . '" name="' . esc_attr( self::FIELD ) . '" value="' . esc_attr( $value ) . '" max="' . esc_attr( gmdate( 'Y-m-d' ) ) . '" autocomplete="bday"></p>';
	}

	/**
	 * Classic checkout, under the billing fields.
	 */
	public static function render_checkout_field(): void {
		if ( Settings::asks_birthday() ) {
			echo self::field_html( self::saved( get_current_user_id() ) ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in field_html().
		}
	}

	/**
	 * My Account > Account details.
	 */
	public static function render_account_field(): void {
		if ( Settings::asks_birthday() ) {
			echo self::field_html( self::saved( get_current_user_id() ) ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in field_html().
		}
	}

	/**
	 * The order (and the signed-in customer) keeps the date typed at checkout. WooCommerce has
	 * verified the checkout nonce by now.
	 *
	 * @param \WC_Order $order Order being created.
	 */
	public static function save_from_checkout( $order ): void {
		$date = self::posted();
		if ( null === $date || ! Settings::asks_birthday() ) {
			return;
		}
		$order->update_meta_data( self::FIELD, $date );
		$user_id = get_current_user_id();
		if ( $user_id > 0 ) {
			update_user_meta( $user_id, self::FIELD, $date );
		}
	}

	/**
	 * The account form saved (WooCommerce checked its nonce): an emptied field forgets the date.
	 *
	 * @param int $user_id Customer.
	 */
	public static function save_from_account( $user_id ): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- WooCommerce verified save_account_details.
		if ( ! Settings::asks_birthday() || ! isset( $_POST[ self::FIELD ] ) ) {
			return;
		}
		$date = self::posted();
		if ( null === $date ) {
			delete_user_meta( (int) $user_id, self::FIELD );
			return;
		}
		update_user_meta( (int) $user_id, self::FIELD, $date );
	}

	/**
	 * The posted date, when valid.
	 */
	private static function posted(): ?string {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- callers run after WooCommerce's nonce check.
		$raw = isset( $_POST[ self::FIELD ] ) && is_string( $_POST[ self::FIELD ] ) ? sanitize_text_field( wp_unslash( $_POST[ self::FIELD ] ) ) : '';
		return self::sanitize( $raw, time() );
	}

	/**
	 * The customer's saved date, '' for a guest or none.
	 *
	 * @param int $user_id User id (0: guest).
	 */
	private static function saved( int $user_id ): string {
		$value = $user_id > 0 ? get_user_meta( $user_id, self::FIELD, true ) : '';
		return is_string( $value ) ? $value : '';
	}
}
