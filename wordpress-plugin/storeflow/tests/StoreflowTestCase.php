<?php
/**
 * Base test case: a fresh fake world per test.
 *
 * @package Storeflow
 */

use PHPUnit\Framework\TestCase;

/**
 * Resets recorded WordPress state and offers a connected store with a shopper session.
 */
abstract class StoreflowTestCase extends TestCase {

	protected const SECRET = '0123abcd0123abcd0123abcd0123abcd0123abcd0123abcd0123abcd0123abcd';

	protected function setUp(): void {
		StoreflowTestWorld::reset();
		$_COOKIE = array();
		Storeflow\Outbox::install(); // As activation does.
	}

	/** A connected store selling a shirt (12) and a hoodie variation (31); the shopper's cart is empty. */
	protected function connected_store(): object {
		Storeflow\Settings::save_connection( 'connected', self::SECRET );
		$cart          = new WC_Cart();
		$cart->catalog = array(
			12 => new WC_Product( 12, 'Shirt' ),
			31 => new WC_Product( 31, 'Hoodie - M' ),
		);
		StoreflowTestWorld::$wc = (object) array(
			'version' => '6.6.0',
			'cart'    => $cart,
			'session' => new WC_Session(),
		);
		return StoreflowTestWorld::$wc;
	}

	/** The guest shopper of connected_store(). */
	protected function shopper(): Storeflow\Shopper {
		return new Storeflow\Shopper( StoreflowTestWorld::$wc->session, 0 );
	}
}
