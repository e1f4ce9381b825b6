<?php
/**
 * @package Storeflow
 */

use Storeflow\EventSigner;
use Storeflow\Sender;
use Storeflow\Settings;

final class SenderTest extends StoreflowTestCase {

	protected function setUp(): void {
		parent::setUp();
		Settings::save_connection( 'connected', self::SECRET );
		update_option( Settings::OPTION, array( 'service_url' => 'https://storeflow.example' ) );
	}

	public function test_queueing_stores_the_body_and_enqueues_an_async_action_without_sending(): void {
		$id = Sender::queue( 'cart.updated', array( 'cart_key' => 'k', 'items' => array() ) );

		$this->assertSame( array(), StoreflowTestWorld::$requests );
		$this->assertSame( '{"cart_key":"k","items":[]}', get_option( Settings::OUTBOX_PREFIX . $id ) );
		$this->assertFalse( StoreflowTestWorld::$autoload[ Settings::OUTBOX_PREFIX . $id ] );
		$this->assertSame( array( 'hook' => Sender::HOOK, 'args' => array( $id, 'cart.updated', 1 ), 'group' => 'storeflow', 'at' => 0 ), StoreflowTestWorld::$actions[0] );
	}

	public function test_delivery_posts_the_stored_bytes_signed_at_send_time_and_clears_the_outbox(): void {
		$id     = Sender::queue( 'checkout.contact', array( 'email' => 'a@b.pl', 'url' => 'https://x/y' ) );
		$before = time();

		Sender::deliver( $id, 'checkout.contact', 1 );

		$request = StoreflowTestWorld::$requests[0];
		$headers = $request['args']['headers'];
		$this->assertSame( 'https://storeflow.example/webhooks/woocommerce', $request['url'] );
		$this->assertSame( '{"email":"a@b.pl","url":"https://x/y"}', $request['args']['body'] );
		$this->assertSame( $id, $headers['X-Storeflow-Delivery-Id'] );
		$this->assertGreaterThanOrEqual( $before, (int) $headers['X-Storeflow-Timestamp'] );
		$this->assertSame( EventSigner::signature( self::SECRET, (int) $headers['X-Storeflow-Timestamp'], $request['args']['body'] ), $headers['X-Storeflow-Signature'] );
		$this->assertFalse( get_option( Settings::OUTBOX_PREFIX . $id ) );
	}

	public function test_network_error_or_server_error_schedules_a_later_retry_with_the_same_delivery_id(): void {
		$id                             = Sender::queue( 'cart.updated', array( 'a' => 1 ) );
		StoreflowTestWorld::$responses  = array( new WP_Error( 'http_request_failed', 'timed out' ), array( 'response' => array( 'code' => 503 ), 'body' => '' ) );

		Sender::deliver( $id, 'cart.updated', 1 );
		Sender::deliver( $id, 'cart.updated', 2 );

		$this->assertSame( array( $id, 'cart.updated', 2 ), StoreflowTestWorld::$actions[1]['args'] );
		$this->assertSame( array( $id, 'cart.updated', 3 ), StoreflowTestWorld::$actions[2]['args'] );
		$this->assertGreaterThan( StoreflowTestWorld::$actions[1]['at'] - time(), StoreflowTestWorld::$actions[2]['at'] - time(), 'backoff grows' );
		$this->assertIsString( get_option( Settings::OUTBOX_PREFIX . $id ), 'body kept for the retry' );
	}

	public function test_rejected_signature_is_not_retried(): void {
		$id                            = Sender::queue( 'cart.updated', array( 'a' => 1 ) );
		StoreflowTestWorld::$responses = array( array( 'response' => array( 'code' => 401 ), 'body' => '' ) );

		Sender::deliver( $id, 'cart.updated', 1 );

		$this->assertCount( 1, StoreflowTestWorld::$actions );
		$this->assertFalse( get_option( Settings::OUTBOX_PREFIX . $id ) );
	}

	public function test_gives_up_after_the_last_attempt(): void {
		$id                            = Sender::queue( 'cart.updated', array( 'a' => 1 ) );
		StoreflowTestWorld::$responses = array( array( 'response' => array( 'code' => 500 ), 'body' => '' ) );

		Sender::deliver( $id, 'cart.updated', Sender::MAX_ATTEMPTS );

		$this->assertCount( 1, StoreflowTestWorld::$actions );
		$this->assertFalse( get_option( Settings::OUTBOX_PREFIX . $id ) );
	}

	public function test_events_left_in_the_queue_after_disconnect_are_dropped_unsent(): void {
		$id = Sender::queue( 'cart.updated', array( 'a' => 1 ) );
		Settings::save_connection( 'disconnected', '' );

		Sender::deliver( $id, 'cart.updated', 1 );

		$this->assertSame( array(), StoreflowTestWorld::$requests );
		$this->assertCount( 1, StoreflowTestWorld::$actions, 'no retry scheduled' );
		$this->assertFalse( get_option( Settings::OUTBOX_PREFIX . $id ) );
	}

	public function test_delivery_already_done_does_nothing(): void {
		Sender::deliver( 'gone', 'cart.updated', 1 );

		$this->assertSame( array(), StoreflowTestWorld::$requests );
	}
}
