<?php
/**
 * @package Storeflow
 */

use Storeflow\EventBuilder;
use Storeflow\Shopper;

final class EventBuilderTest extends StoreflowTestCase {

	private const NOW = 1795168800; // 2026-11-20T10:00:00Z

	public function test_cart_with_contact_becomes_the_contract_body_field_for_field(): void {
		$wc      = $this->connected_store();
		$shopper = new Shopper( $wc->session, 0 );
		$shopper->remember_contact( array( 'email' => 'a@b.pl', 'phone' => '+48600100200', 'first_name' => 'Ala', 'consent' => true ) );
		$wc->cart->lines   = array(
			'k1' => array(
				'product_id'        => 12,
				'variation_id'      => 0,
				'quantity'          => 2,
				'line_total'        => 32.5,
				'line_tax'          => 7.48,
				'line_subtotal'     => 32.5,
				'line_subtotal_tax' => 7.48,
				'data'              => new WC_Product( 12, 'Shirt <em>blue</em>', 99 ),
			),
		);
		$wc->cart->coupons = array( 'WELCOME' );
		$wc->cart->total   = 49.98;

		$body = EventBuilder::build( $wc->cart, $shopper, self::NOW );

		$this->assertSame(
			array(
				'cart_key'    => $shopper->cart_key(),
				'customer_id' => 0,
				'session_id'  => 't_0a1b2c3d4e5f',
				'email'       => 'a@b.pl',
				'phone'       => '+48600100200',
				'first_name'  => 'Ala',
				'last_name'   => '',
				'locale'      => 'pl_PL',
				'consent'     => true,
				'items'       => array(
					array(
						'product_id'   => 12,
						'variation_id' => 0,
						'quantity'     => 2,
						'line_total'   => '39.98',
						'name'         => 'Shirt blue',
						'image'        => 'https://shop.example/wp-content/uploads/99-woocommerce_thumbnail.jpg',
						'permalink'    => 'https://shop.example/product/12/',
					),
				),
				'coupons'     => array( 'WELCOME' ),
				'totals'      => array( 'subtotal' => '39.98', 'total' => '49.98' ),
				'currency'    => 'PLN',
				'updated_at'  => '2026-11-20T10:00:00+00:00',
				'visitor_id'  => null,
			),
			$body
		);
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{32}$/', $body['cart_key'] );
	}

	public function test_guest_without_contact_sends_nulls_and_product_without_image_null_image(): void {
		$wc = $this->connected_store();
		$wc->cart->catalog[5] = new WC_Product( 5, 'Mug' );
		$wc->cart->add_to_cart( 5, 1 );

		$body = EventBuilder::build( $wc->cart, new Shopper( $wc->session, 0 ), self::NOW );

		$this->assertNull( $body['email'] );
		$this->assertNull( $body['phone'] );
		$this->assertNull( $body['consent'] );
		$this->assertNull( $body['items'][0]['image'] );
	}

	public function test_visitor_cookie_set_by_the_product_page_script_is_sent_to_join_earlier_views(): void {
		$wc                  = $this->connected_store();
		$_COOKIE['storeflow_vid'] = '6f1c2a9e-4b7d-4c1e-9a55-0d3b8e2f7a10';

		$body = EventBuilder::build( $wc->cart, new Shopper( $wc->session, 0 ), self::NOW );

		$this->assertSame( '6f1c2a9e-4b7d-4c1e-9a55-0d3b8e2f7a10', $body['visitor_id'] );
	}

	public function test_a_malformed_visitor_cookie_is_not_sent(): void {
		$wc = $this->connected_store();
		foreach ( array( 'short', str_repeat( 'a', 65 ), "abc<script>def", array( 'x' ) ) as $bad ) {
			$_COOKIE['storeflow_vid'] = $bad;
			$this->assertNull( EventBuilder::build( $wc->cart, new Shopper( $wc->session, 0 ), self::NOW )['visitor_id'] );
		}
	}

	public function test_logged_in_customer_id_is_sent(): void {
		$wc = $this->connected_store();

		$this->assertSame( 42, EventBuilder::build( $wc->cart, new Shopper( $wc->session, 42 ), self::NOW )['customer_id'] );
	}

	public function test_emptied_cart_has_no_items_and_zero_totals(): void {
		$wc = $this->connected_store();

		$body = EventBuilder::build( $wc->cart, new Shopper( $wc->session, 0 ), self::NOW );

		$this->assertSame( array(), $body['items'] );
		$this->assertSame( array( 'subtotal' => '0.00', 'total' => '0.00' ), $body['totals'] );
	}

	public function test_cart_key_stays_for_the_session_and_changes_after_the_cart_is_forgotten(): void {
		$wc      = $this->connected_store();
		$shopper = new Shopper( $wc->session, 0 );
		$first   = $shopper->cart_key();

		$this->assertSame( $first, $shopper->cart_key() );
		$shopper->forget_cart();
		$this->assertNotSame( $first, $shopper->cart_key() );
	}

	public function test_fingerprint_ignores_only_the_timestamp(): void {
		$wc      = $this->connected_store();
		$shopper = new Shopper( $wc->session, 0 );
		$body    = EventBuilder::build( $wc->cart, $shopper, self::NOW );

		$this->assertSame( EventBuilder::fingerprint( $body ), EventBuilder::fingerprint( EventBuilder::build( $wc->cart, $shopper, self::NOW + 60 ) ) );
		$body['email'] = 'x@y.pl';
		$this->assertNotSame( EventBuilder::fingerprint( $body ), EventBuilder::fingerprint( EventBuilder::build( $wc->cart, $shopper, self::NOW ) ) );
	}
}
