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
	}

	/** A connected store whose shopper has a session and an empty cart. */
	protected function connected_store(): object {
		Storeflow\Settings::save_connection( 'connected', self::SECRET );
		StoreflowTestWorld::$wc = (object) array(
			'cart'    => new WC_Cart(),
			'session' => new WC_Session(),
		);
		return StoreflowTestWorld::$wc;
	}
}
