<?php
/**
 * `/?storeflow_restore=<token>`: the link in a reminder puts the cart back and opens checkout.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * Rebuilds a cart from a token the service signed. A bad or expired link never shows an error
 * page: the shopper lands on an empty cart with a friendly notice.
 */
final class CartRestore {

	public const PARAM = 'storeflow_restore';

	/**
	 * Hook in after WooCommerce has loaded the cart and session (it does so on wp_loaded).
	 */
	public static function register(): void {
		add_action( 'wp_loaded', array( self::class, 'maybe_restore' ), 30 );
	}

	/**
	 * Handle the link when present. A parameter that is not a string (`storeflow_restore[]=`)
	 * is an invalid link like any other: empty cart and the friendly notice.
	 *
	 * @param mixed $now Unix time for tests; wp_loaded passes ''.
	 */
	public static function maybe_restore( $now = null ): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the signed token is the credential.
		if ( ! isset( $_GET[ self::PARAM ] ) || is_admin() || ! WC()->cart || ! WC()->session ) {
			return;
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$token = is_string( $_GET[ self::PARAM ] ) ? sanitize_text_field( wp_unslash( $_GET[ self::PARAM ] ) ) : '';
		WC()->session->set_customer_session_cookie( true ); // Guests need a session to keep the cart.
		// The shopper's identity token, as every email link carries it: their next views join their history.
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended, WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- Storeflow signed it; checked against the token pattern.
		$identity = isset( $_GET[ ProductViews::IDENTITY_PARAM ] ) ? wp_unslash( $_GET[ ProductViews::IDENTITY_PARAM ] ) : null;
		ProductViews::keep_identity( $identity );
		$target = self::restore( WC()->cart, Shopper::current(), $token, is_int( $now ) ? $now : time() );
		nocache_headers();
		wp_safe_redirect( $target );
		exit;
	}

	/**
	 * Restore the cart and return where to send the shopper.
	 *
	 * @param \WC_Cart     $cart    The cart.
	 * @param Shopper|null $shopper The shopper.
	 * @param string       $token   Token from the link.
	 * @param int          $now     Unix time.
	 */
	public static function restore( $cart, ?Shopper $shopper, string $token, int $now ): string {
		try {
			$ticket = RestoreToken::parse( Settings::secret(), $token, $now );
		} catch ( InvalidToken $error ) {
			wc_get_logger()->info( 'Storeflow restore link refused: ' . $error->getMessage(), array( 'source' => 'storeflow' ) );
			$cart->empty_cart();
			wc_add_notice( __( 'This cart link has expired or is no longer valid. Your cart is empty, but our shop is open: take a look around.', 'storeflow' ), 'notice' );
			return wc_get_cart_url();
		}
		$cart->empty_cart();
		$missing = self::add_lines( $cart, $ticket->items );
		if ( $cart->is_empty() ) {
			wc_add_notice( __( 'Sorry, the products from your cart are no longer available.', 'storeflow' ), 'notice' );
			return wc_get_cart_url();
		}
		if ( $missing > 0 ) {
			wc_add_notice( __( 'Some products from your cart are no longer available and were left out.', 'storeflow' ), 'notice' );
		}
		if ( null !== $ticket->discount && ! $cart->has_discount( $ticket->discount ) ) {
			$cart->apply_coupon( $ticket->discount ); // WooCommerce tells the shopper if it no longer applies.
		}
		if ( null !== $shopper ) {
			$shopper->adopt_cart_key( $ticket->cart_key );
		}
		return wc_get_checkout_url();
	}

	/**
	 * Add the token's lines; returns how many could not be added.
	 *
	 * @param \WC_Cart                       $cart  The cart.
	 * @param list<array{0:int,1:int,2:int}> $lines Lines.
	 */
	private static function add_lines( $cart, array $lines ): int {
		$missing = 0;
		foreach ( $lines as list( $product_id, $variation_id, $quantity ) ) {
			$attributes = $variation_id ? wc_get_product_variation_attributes( $variation_id ) : array();
			try {
				$added = $cart->add_to_cart( $product_id, $quantity, $variation_id, $attributes );
			} catch ( \Exception $error ) {
				$added = false; // Stock or validation plugins throw; one bad line must not lose the rest.
			}
			$missing += false === $added ? 1 : 0;
		}
		return $missing;
	}
}
