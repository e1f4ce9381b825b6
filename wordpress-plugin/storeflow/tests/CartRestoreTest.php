<?php
/**
 * @package Storeflow
 */

use Storeflow\CartRestore;
use Storeflow\ProductViews;
use Storeflow\Shopper;
use Storeflow\SignedToken;

final class CartRestoreTest extends StoreflowTestCase {

	private const NOW = 1763892000;

	private object $wc;
	private Shopper $shopper;

	protected function setUp(): void {
		parent::setUp();
		$this->wc                      = $this->connected_store();
		$this->wc->cart->valid_coupons = array( 'BACK-10' => true );
		$this->shopper                 = $this->shopper();
	}

	public function test_valid_link_rebuilds_lines_applies_discount_adopts_cart_key_and_goes_to_checkout(): void {
		$this->wc->cart->catalog[99] = new WC_Product( 99, 'Old stuff' );
		$this->wc->cart->add_to_cart( 99, 5 );

		$target = CartRestore::restore( $this->wc->cart, $this->shopper, $this->token(), self::NOW );

		$this->assertSame( 'https://shop.example/checkout/', $target );
		$lines = array_map( fn( $l ) => array( $l['product_id'], $l['variation_id'], $l['quantity'], $l['variation'] ), array_values( $this->wc->cart->lines ) );
		$this->assertSame( array( array( 12, 0, 2, array() ), array( 15, 31, 1, array( 'attribute_pa_size' => 'm' ) ) ), $lines );
		$this->assertSame( array( 'BACK-10' ), $this->wc->cart->coupons );
		$this->assertSame( 'cart-abc', $this->shopper->cart_key() );
		$this->assertSame( array(), StoreflowTestWorld::$notices );
	}

	public function test_expired_link_shows_a_friendly_notice_and_an_empty_cart(): void {
		$this->wc->cart->add_to_cart( 12, 1 );

		$target = CartRestore::restore( $this->wc->cart, $this->shopper, $this->token( array( 'x' => self::NOW - 1 ) ), self::NOW );

		$this->assertSame( 'https://shop.example/cart/', $target );
		$this->assertTrue( $this->wc->cart->is_empty() );
		$this->assertSame( 'notice', StoreflowTestWorld::$notices[0][1] );
		$this->assertStringContainsString( 'expired', StoreflowTestWorld::$notices[0][0] );
	}

	public function test_tampered_link_shows_the_same_notice_and_restores_nothing(): void {
		list( $payload, $sig ) = explode( '.', $this->token() );
		$forged                = SignedToken::base64url( str_replace( '[12,0,2]', '[12,0,200]', (string) SignedToken::base64url_decode( $payload ) ) ) . '.' . $sig;

		$target = CartRestore::restore( $this->wc->cart, $this->shopper, $forged, self::NOW );

		$this->assertSame( 'https://shop.example/cart/', $target );
		$this->assertTrue( $this->wc->cart->is_empty() );
		$this->assertCount( 1, StoreflowTestWorld::$notices );
	}

	public function test_products_gone_from_the_shop_are_left_out_with_a_notice(): void {
		unset( $this->wc->cart->catalog[31] );

		$target = CartRestore::restore( $this->wc->cart, $this->shopper, $this->token(), self::NOW );

		$this->assertSame( 'https://shop.example/checkout/', $target );
		$this->assertCount( 1, $this->wc->cart->lines );
		$this->assertStringContainsString( 'no longer available', StoreflowTestWorld::$notices[0][0] );
	}

	public function test_when_nothing_is_left_the_shopper_lands_on_the_cart_page(): void {
		$this->wc->cart->catalog = array();

		$this->assertSame( 'https://shop.example/cart/', CartRestore::restore( $this->wc->cart, $this->shopper, $this->token(), self::NOW ) );
		$this->assertTrue( $this->wc->cart->is_empty() );
	}

	public function test_link_without_discount_applies_no_coupon(): void {
		CartRestore::restore( $this->wc->cart, $this->shopper, $this->token( array( 'd' => null ) ), self::NOW );

		$this->assertSame( array(), $this->wc->cart->coupons );
	}

	public function test_link_from_the_address_bar_restores_the_cart_and_opens_checkout(): void {
		$_GET = array( CartRestore::PARAM => $this->token() );

		$this->assertSame( 'https://shop.example/checkout/', $this->follow_link( self::NOW ) );
		$this->assertCount( 2, $this->wc->cart->lines );
	}

	public function test_link_with_the_shoppers_identity_token_keeps_it_in_the_cookie_the_view_script_reads(): void {
		$_GET = array( CartRestore::PARAM => $this->token(), ProductViews::IDENTITY_PARAM => 'eyJ0b2tlbiI6MX0.aB-c_d:e=' );

		$this->assertSame( 'https://shop.example/checkout/', $this->follow_link( self::NOW ) );
		$cookie = StoreflowTestWorld::$cookies[ ProductViews::IDENTITY_COOKIE ];
		$this->assertSame( 'eyJ0b2tlbiI6MX0.aB-c_d:e=', $cookie['value'] );
		$this->assertFalse( $cookie['httponly'] ); // The product-page script reads it.
		$this->assertTrue( $cookie['secure'] );
		$this->assertGreaterThan( time(), $cookie['expire'] );
	}

	public function test_identity_token_is_not_kept_without_marketing_consent_or_when_malformed(): void {
		StoreflowTestWorld::$consent[ ProductViews::CONSENT_CATEGORY ] = false;
		$_GET = array( CartRestore::PARAM => $this->token(), ProductViews::IDENTITY_PARAM => 'eyJ0b2tlbiI6MX0.aBc' );
		$this->assertSame( 'https://shop.example/checkout/', $this->follow_link( self::NOW ) );
		$this->assertSame( array(), StoreflowTestWorld::$cookies );

		StoreflowTestWorld::$consent = array();
		$_GET = array( CartRestore::PARAM => $this->token(), ProductViews::IDENTITY_PARAM => '<script>' );
		$this->assertSame( 'https://shop.example/checkout/', $this->follow_link( self::NOW ) );
		$this->assertSame( array(), StoreflowTestWorld::$cookies );
	}

	public function test_link_with_an_array_parameter_lands_on_the_cart_with_the_notice_not_a_warning(): void {
		$this->wc->cart->add_to_cart( 12, 1 );
		$_GET = array( CartRestore::PARAM => array( $this->token() ) );

		$this->assertSame( 'https://shop.example/cart/', $this->follow_link( self::NOW ) );
		$this->assertTrue( $this->wc->cart->is_empty() );
		$this->assertStringContainsString( 'no longer valid', StoreflowTestWorld::$notices[0][0] );
	}

	private function follow_link( int $now ): string {
		try {
			CartRestore::maybe_restore( $now );
		} catch ( StoreflowRedirect $redirect ) {
			return $redirect->getMessage();
		}
		$this->fail( 'no redirect' );
	}

	/** @param array<string, mixed> $override */
	private function token( array $override = array() ): string {
		return SignedToken::sign(
			self::SECRET,
			array_merge(
				array(
					'k' => 'cart-abc',
					'i' => array( array( 12, 0, 2 ), array( 15, 31, 1 ) ),
					'd' => 'BACK-10',
					'x' => self::NOW + 86400,
				),
				$override
			)
		);
	}
}
