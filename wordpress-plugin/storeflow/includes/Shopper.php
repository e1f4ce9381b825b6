<?php
/**
 * What the plugin remembers about one shopper, kept in the WooCommerce session.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * Cart key, captured contact details and the last body sent, per WooCommerce session.
 */
final class Shopper {

	private const CART_KEY  = 'storeflow_cart_key';
	private const CONTACT   = 'storeflow_contact';
	private const LAST_SENT = 'storeflow_last_sent';

	/**
	 * Wrap a session.
	 *
	 * @param \WC_Session $session The WooCommerce session (WC()->session).
	 * @param int         $user_id Logged-in WordPress user id, 0 for guests.
	 */
	public function __construct( private $session, private int $user_id ) {
	}

	/**
	 * The shopper of the current request, or null when WooCommerce has no session (admin, cron).
	 */
	public static function current(): ?self {
		if ( ! function_exists( 'WC' ) || ! WC()->session ) {
			return null;
		}
		return new self( WC()->session, get_current_user_id() );
	}

	/**
	 * Stable key of the current cart; a new cart (after an order or an emptied cart) gets a new
	 * one, so the service never mixes two carts of one visitor.
	 */
	public function cart_key(): string {
		$key = $this->session->get( self::CART_KEY );
		if ( ! is_string( $key ) || '' === $key ) {
			$key = bin2hex( random_bytes( 16 ) );
			$this->session->set( self::CART_KEY, $key );
		}
		return $key;
	}

	/**
	 * Adopt the key of a cart restored from a link, so the service sees the same cart come back.
	 *
	 * @param string $key Cart key from the restore token.
	 */
	public function adopt_cart_key( string $key ): void {
		$this->session->set( self::CART_KEY, $key );
		$this->session->set( self::LAST_SENT, null );
	}

	/**
	 * Forget the cart (it was emptied or ordered); the next one gets a fresh key.
	 */
	public function forget_cart(): void {
		$this->session->set( self::CART_KEY, null );
		$this->session->set( self::LAST_SENT, null );
	}

	/**
	 * WooCommerce's own session id (the user id when logged in, a random guest id otherwise).
	 */
	public function session_id(): string {
		return (string) $this->session->get_customer_id();
	}

	/**
	 * WordPress user id, 0 for guests.
	 */
	public function customer_id(): int {
		return $this->user_id;
	}

	/**
	 * Contact details captured so far.
	 *
	 * @return array{email:?string, phone:?string, first_name:string, last_name:string, consent:?bool}
	 */
	public function contact(): array {
		$stored = $this->session->get( self::CONTACT );
		return array_merge( Contact::EMPTY, is_array( $stored ) ? $stored : array() );
	}

	/**
	 * Merge newly entered contact details; returns whether anything changed.
	 *
	 * @param array<string, mixed> $fields Output of Contact::sanitize (only the fields present).
	 */
	public function remember_contact( array $fields ): bool {
		$before = $this->contact();
		$after  = array_merge( $before, array_intersect_key( $fields, Contact::EMPTY ) );
		$this->session->set( self::CONTACT, $after );
		return $after !== $before;
	}

	/**
	 * Fingerprint of the last body queued for this cart.
	 */
	public function last_sent(): ?string {
		$value = $this->session->get( self::LAST_SENT );
		return is_string( $value ) ? $value : null;
	}

	/**
	 * Remember the fingerprint of the body just queued.
	 *
	 * @param string $fingerprint EventBuilder::fingerprint of the body.
	 */
	public function mark_sent( string $fingerprint ): void {
		$this->session->set( self::LAST_SENT, $fingerprint );
	}
}
