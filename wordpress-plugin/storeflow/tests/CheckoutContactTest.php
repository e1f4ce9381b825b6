<?php
/**
 * @package Storeflow
 */

use Storeflow\CartCapture;
use Storeflow\CheckoutContact;

final class CheckoutContactTest extends StoreflowTestCase {

	private object $wc;

	protected function setUp(): void {
		parent::setUp();
		$this->wc = $this->connected_store();
		$this->wc->cart->add_to_cart( 12, 1 );
	}

	public function test_block_checkout_customer_update_captures_contact_and_consent(): void {
		CheckoutContact::from_store_api( $this->customer( 'Ala@Example.pl' ), $this->request( array( 'storeflow/consent' => true ) ) );

		$this->assertSame( 'checkout.contact', CartCapture::flush( $this->wc->cart, $this->shopper(), 1000 ) );
		$contact = $this->shopper()->contact();
		$this->assertSame( 'ala@example.pl', $contact['email'] );
		$this->assertSame( '+48600100200', $contact['phone'] );
		$this->assertSame( 'Ala', $contact['first_name'] );
		$this->assertTrue( $contact['consent'] );
	}

	public function test_classic_order_review_refresh_captures_the_typed_email_and_consent(): void {
		CheckoutContact::from_order_review( 'billing_first_name=Ala&billing_email=ala%40example.pl&billing_phone=&storeflow_consent=1&payment_method=cod' );

		$contact = $this->shopper()->contact();
		$this->assertSame( array( 'ala@example.pl', null, 'Ala', true ), array( $contact['email'], $contact['phone'], $contact['first_name'], $contact['consent'] ) );
		$this->assertSame( 'checkout.contact', CartCapture::flush( $this->wc->cart, $this->shopper(), 1000 ) );
	}

	public function test_order_review_refresh_without_email_or_phone_captures_nothing(): void {
		CheckoutContact::from_order_review( 'billing_first_name=Ala&billing_email=' );

		$this->assertSame( '', $this->shopper()->contact()['first_name'] );
	}

	public function test_same_contact_twice_queues_nothing_new(): void {
		CheckoutContact::from_store_api( $this->customer( 'ala@example.pl' ), $this->request( array() ) );
		CartCapture::flush( $this->wc->cart, $this->shopper(), 1000 );

		$this->assertFalse( CheckoutContact::remember( array( 'email' => 'ala@example.pl' ) ) );
		$this->assertNull( CartCapture::flush( $this->wc->cart, $this->shopper(), 2000 ) );
	}

	public function test_nothing_is_captured_when_the_store_is_not_connected(): void {
		Storeflow\Settings::save_connection( 'disconnected', '' );

		$this->assertFalse( CheckoutContact::remember( array( 'email' => 'ala@example.pl' ) ) );
		$this->assertNull( $this->shopper()->contact()['email'] );
	}

	public function test_block_order_gets_consent_and_cart_key_meta(): void {
		$order = $this->order();

		CheckoutContact::tag_block_order( $order, $this->request( array( 'storeflow/consent' => true ) ) );

		$this->assertSame( array( 'storeflow_consent' => 'yes', 'storeflow_cart_key' => $this->shopper()->cart_key() ), $order->meta );
	}

	public function test_block_order_without_the_box_ticked_records_no_consent(): void {
		$order = $this->order();

		CheckoutContact::tag_block_order( $order, $this->request( null ) );

		$this->assertSame( 'no', $order->meta['storeflow_consent'] );
	}

	public function test_contact_endpoint_takes_typed_fields_and_ignores_array_fields_without_a_warning(): void {
		$_REQUEST = array( 'security' => wp_create_nonce( CheckoutContact::NONCE ) );
		$_POST    = array( 'email' => 'ala@example.pl', 'phone' => array( '+48600100200' ), 'first_name' => 'Ala\\\'s', 'consent' => array( '1' ) );

		try {
			CheckoutContact::ajax();
			$this->fail( 'no JSON answer' );
		} catch ( StoreflowDie $answer ) {
			$this->assertSame( array( 'changed' => true ), $answer->data );
		}
		$contact = $this->shopper()->contact();
		$this->assertSame( array( 'ala@example.pl', null, "Ala's" ), array( $contact['email'], $contact['phone'], $contact['first_name'] ) );
	}

	public function test_contact_endpoint_refuses_a_request_without_the_nonce(): void {
		$_POST = array( 'email' => 'ala@example.pl' );

		$this->expectException( StoreflowDie::class );
		CheckoutContact::ajax();
	}

	private function customer( string $email ): object {
		return new class( $email ) {
			public function __construct( private string $email ) {}
			public function get_billing_email() { return $this->email; }
			public function get_billing_phone() { return '+48600100200'; }
			public function get_billing_first_name() { return 'Ala'; }
			public function get_billing_last_name() { return 'Kot'; }
		};
	}

	/** @param array<string, mixed>|null $additional_fields */
	private function request( ?array $additional_fields ): object {
		return new class( $additional_fields ) {
			public function __construct( private ?array $fields ) {}
			public function get_param( $name ) { return 'additional_fields' === $name ? $this->fields : null; }
		};
	}

	private function order(): object {
		return new class() {
			public array $meta = array();
			public function update_meta_data( $key, $value ) { $this->meta[ $key ] = $value; }
		};
	}
}
