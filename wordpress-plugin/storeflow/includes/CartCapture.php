<?php
/**
 * Notices cart changes during a request and queues at most one event for them at the end.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * WooCommerce recalculates totals several times per request; collecting the changes and sending
 * once at shutdown keeps the shopper's request fast and the service's inbox small.
 */
final class CartCapture {

	/**
	 * Topic asked for during this request, or null when nothing changed.
	 *
	 * @var string|null
	 */
	private static ?string $pending = null;

	/**
	 * Hook into WooCommerce.
	 */
	public static function register(): void {
		add_action( 'woocommerce_cart_updated', array( self::class, 'cart_changed' ) );
		add_action( 'woocommerce_after_calculate_totals', array( self::class, 'cart_changed' ) );
		add_action( 'woocommerce_cart_emptied', array( self::class, 'cart_changed' ) );
		// Before WooCommerce saves the session at shutdown priority 20, so our session marks persist.
		add_action( 'shutdown', array( self::class, 'flush_current' ), 5 );
	}

	/**
	 * Something in the cart may have changed.
	 */
	public static function cart_changed(): void {
		self::$pending = self::$pending ?? 'cart.updated';
	}

	/**
	 * The shopper gave (or changed) contact details: that outranks a plain cart update.
	 */
	public static function contact_changed(): void {
		self::$pending = 'checkout.contact';
	}

	/**
	 * Shutdown handler for the current request.
	 */
	public static function flush_current(): void {
		$shopper = Shopper::current();
		if ( null !== self::$pending && null !== $shopper && Settings::capture_active() && WC()->cart ) {
			self::flush( WC()->cart, $shopper, time() );
		}
		self::$pending = null;
	}

	/**
	 * Queue the event for what changed; returns the topic queued, or null when nothing new.
	 *
	 * @param \WC_Cart $cart    The cart.
	 * @param Shopper  $shopper The shopper.
	 * @param int      $now     Unix time.
	 */
	public static function flush( $cart, Shopper $shopper, int $now ): ?string {
		$topic         = self::$pending;
		self::$pending = null;
		if ( null === $topic ) {
			return null;
		}
		$body = EventBuilder::build( $cart, $shopper, $now );
		if ( array() === $body['items'] ) {
			return self::emptied( $shopper, $body );
		}
		$fingerprint = EventBuilder::fingerprint( $body );
		if ( $fingerprint === $shopper->last_sent() ) {
			return null;
		}
		Sender::queue( $topic, $body );
		$shopper->mark_sent( $fingerprint );
		return $topic;
	}

	/**
	 * Tell the service a cart it knows about is gone (ordered or cleared), then start afresh.
	 *
	 * @param Shopper              $shopper The shopper.
	 * @param array<string, mixed> $body    Body with no items.
	 */
	private static function emptied( Shopper $shopper, array $body ): ?string {
		if ( null === $shopper->last_sent() ) {
			return null; // The service never heard of this cart; nothing to retract.
		}
		Sender::queue( 'cart.emptied', $body );
		$shopper->forget_cart();
		return 'cart.emptied';
	}
}
