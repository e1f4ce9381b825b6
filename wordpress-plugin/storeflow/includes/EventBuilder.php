<?php
/**
 * Turns the shopper's cart and contact details into the event body the service expects.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * Builds `cart.updated`, `cart.emptied` and `checkout.contact` bodies (contract section 3).
 *
 * Money is gross (what the shopper pays, tax included) as decimal strings, so a reminder shows the
 * same numbers the shopper saw.
 */
final class EventBuilder {

	/**
	 * Build one body.
	 *
	 * @param \WC_Cart $cart    The shopper's cart.
	 * @param Shopper  $shopper Session-side facts: cart key, session id, contact.
	 * @param int      $now     Unix time of the change.
	 * @return array<string, mixed>
	 */
	public static function build( $cart, Shopper $shopper, int $now ): array {
		$contact = $shopper->contact();
		return array(
			'cart_key'    => $shopper->cart_key(),
			'customer_id' => $shopper->customer_id(),
			'session_id'  => $shopper->session_id(),
			'email'       => $contact['email'],
			'phone'       => $contact['phone'],
			'first_name'  => $contact['first_name'],
			'last_name'   => $contact['last_name'],
			'locale'      => determine_locale(),
			'consent'     => $contact['consent'],
			'items'       => self::items( $cart ),
			'coupons'     => array_values( array_map( 'strval', $cart->get_applied_coupons() ) ),
			'totals'      => array(
				'subtotal' => self::money( (float) $cart->get_subtotal() + (float) $cart->get_subtotal_tax() ),
				'total'    => self::money( (float) $cart->get_total( 'edit' ) ),
			),
			'currency'    => get_woocommerce_currency(),
			'updated_at'  => gmdate( 'Y-m-d\TH:i:s+00:00', $now ),
			'visitor_id'  => ProductViews::visitor_id(),
		);
	}

	/**
	 * The cart lines.
	 *
	 * @param \WC_Cart $cart The cart.
	 * @return list<array<string, mixed>>
	 */
	private static function items( $cart ): array {
		$items = array();
		foreach ( $cart->get_cart() as $line ) {
			$product = $line['data'] ?? null;
			if ( ! $product instanceof \WC_Product ) {
				continue; // A product deleted while in the cart: WooCommerce drops it on next load too.
			}
			$image   = $product->get_image_id() ? wp_get_attachment_image_url( $product->get_image_id(), 'woocommerce_thumbnail' ) : false;
			$items[] = array(
				'product_id'   => (int) $line['product_id'],
				'variation_id' => (int) ( $line['variation_id'] ?? 0 ),
				'quantity'     => (int) $line['quantity'],
				'line_total'   => self::money( (float) ( $line['line_total'] ?? 0 ) + (float) ( $line['line_tax'] ?? 0 ) ),
				'name'         => wp_strip_all_tags( $product->get_name() ),
				'image'        => is_string( $image ) ? $image : null,
				'permalink'    => $product->get_permalink(),
			);
		}
		return $items;
	}

	/**
	 * A decimal string with the store's number of decimals and a dot, e.g. "39.98".
	 *
	 * @param float $amount Amount.
	 */
	private static function money( float $amount ): string {
		return number_format( $amount, wc_get_price_decimals(), '.', '' );
	}

	/**
	 * Fingerprint of what the service would learn from a body, ignoring the timestamp, so an
	 * unchanged cart recalculated five times in one request is sent once.
	 *
	 * @param array<string, mixed> $body Event body.
	 */
	public static function fingerprint( array $body ): string {
		unset( $body['updated_at'] );
		return md5( Json::compact( $body ) );
	}
}
