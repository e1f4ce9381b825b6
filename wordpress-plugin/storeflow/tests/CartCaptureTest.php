<?php
/**
 * @package Storeflow
 */

use Storeflow\CartCapture;
use Storeflow\Settings;
use Storeflow\Shopper;

final class CartCaptureTest extends StoreflowTestCase {

	private object $wc;
	private Shopper $shopper;

	protected function setUp(): void {
		parent::setUp();
		$this->wc      = $this->connected_store();
		$this->shopper = $this->shopper();
	}

	public function test_many_recalculations_in_one_request_queue_one_cart_update(): void {
		$this->wc->cart->add_to_cart( 12, 1 );
		CartCapture::cart_changed();
		CartCapture::cart_changed();

		$this->assertSame( 'cart.updated', CartCapture::flush( $this->wc->cart, $this->shopper, 1000 ) );
		$this->assertCount( 1, StoreflowTestWorld::$actions );
	}

	public function test_unchanged_cart_is_not_sent_again(): void {
		$this->wc->cart->add_to_cart( 12, 1 );
		CartCapture::cart_changed();
		CartCapture::flush( $this->wc->cart, $this->shopper, 1000 );

		CartCapture::cart_changed();
		$this->assertNull( CartCapture::flush( $this->wc->cart, $this->shopper, 2000 ) );
		$this->assertCount( 1, StoreflowTestWorld::$actions );
	}

	public function test_contact_entry_is_sent_as_checkout_contact_with_the_cart(): void {
		$this->wc->cart->add_to_cart( 12, 2 );
		CartCapture::cart_changed();
		$this->shopper->remember_contact( array( 'email' => 'a@b.pl', 'consent' => true ) );
		CartCapture::contact_changed();

		$this->assertSame( 'checkout.contact', CartCapture::flush( $this->wc->cart, $this->shopper, 1000 ) );
		$body = json_decode( Storeflow\Outbox::body( StoreflowTestWorld::$actions[0]['args'][0] ), true );
		$this->assertSame( 'a@b.pl', $body['email'] );
		$this->assertTrue( $body['consent'] );
		$this->assertSame( 2, $body['items'][0]['quantity'] );
	}

	public function test_emptying_a_known_cart_sends_cart_emptied_and_starts_a_new_cart_key(): void {
		$this->wc->cart->add_to_cart( 12, 1 );
		CartCapture::cart_changed();
		CartCapture::flush( $this->wc->cart, $this->shopper, 1000 );
		$old_key = $this->shopper->cart_key();

		$this->wc->cart->empty_cart();
		CartCapture::cart_changed();

		$this->assertSame( 'cart.emptied', CartCapture::flush( $this->wc->cart, $this->shopper, 2000 ) );
		$body = json_decode( Storeflow\Outbox::body( StoreflowTestWorld::$actions[1]['args'][0] ), true );
		$this->assertSame( $old_key, $body['cart_key'] );
		$this->assertSame( array(), $body['items'] );
		$this->assertNotSame( $old_key, $this->shopper->cart_key() );
	}

	public function test_empty_cart_the_service_never_saw_sends_nothing(): void {
		CartCapture::cart_changed();

		$this->assertNull( CartCapture::flush( $this->wc->cart, $this->shopper, 1000 ) );
		$this->assertSame( array(), StoreflowTestWorld::$actions );
	}

	public function test_nothing_is_queued_when_nothing_changed(): void {
		$this->wc->cart->add_to_cart( 12, 1 );

		$this->assertNull( CartCapture::flush( $this->wc->cart, $this->shopper, 1000 ) );
	}
}
